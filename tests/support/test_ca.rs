//! A fresh test CA and a server certificate for `localhost` and 127.0.0.1 signed by it, for
//! the TLS tests (an https radio, a PostgreSQL server).

#![allow(dead_code)]

pub struct TestCerts {
    pub ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    pub cert: rcgen::Certificate,
    pub key: rcgen::KeyPair,
}

/// A new CA called `name` and a server certificate from it.
pub fn issue(name: &str) -> TestCerts {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let key = rcgen::KeyPair::generate().expect("server key");
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params");
    let cert = params.signed_by(&key, &*ca).expect("server certificate");
    TestCerts { ca, cert, key }
}
