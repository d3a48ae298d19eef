//! The province's central database, for real: a throw-away PostgreSQL cluster (Debian's
//! `postgresql`, `initdb` as the `postgres` user) on loopback, the schema from
//! `docs/province-schema.sql` applied by `loaxa province migrate`'s code, stations
//! registered with their own logins (row-level security).
//!
//! Three stations, each on its own simulated half-year (records written day by day with the
//! times of that day), push after each day: one is offline for a week (its pushes fail, its
//! records wait), and the server is stopped for a day. At the end the province holds every
//! record of every station once, in order, with the station's hashes; each station's chain
//! verifies at the province; a record altered in the database, or deleted, is named by
//! station and id; and the province report's rows are each station's own report.

#[path = "support/daemon_api.rs"]
mod daemon_api;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "support/process.rs"]
mod process;
#[path = "support/station.rs"]
mod station;
#[path = "support/test_ca.rs"]
mod test_ca;
#[path = "support/wav.rs"]
mod wav;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use loaxa::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};
use loaxa::province::{DbFault, DbUrl, Pusher, Target, db, tools};
use loaxa::report::{Period, ReportMeta, summarise};
use loaxa::store::Store;
use postgres::Postgres;

const TOPICS: [&str; 4] = ["cds", "nq57", "bdhvs", "khcn"];
const UNITS: [Option<&str>; 3] = [
    Some("Phòng Văn hoá - Xã hội"),
    Some("Đoàn Thanh niên"),
    None,
];

fn tz() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// One day of a commune station's log: a morning and an evening program (intro, items,
/// outro), now and then an interrupted or failed item, an emergency, a relay window, a
/// missed program. Deterministic for (`seed`, `day`).
fn day_records(seed: u64, day: NaiveDate) -> Vec<AsRunRecord> {
    let mut rng =
        fastrand::Rng::with_seed(seed * 100_003 + chrono::Datelike::num_days_from_ce(&day) as u64);
    let mut out = Vec::new();
    for (program, hour) in [("sang", 6), ("chieu", 17)] {
        let run = tz()
            .from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("time"))
            .single()
            .expect("local");
        if rng.u32(..100) < 2 {
            out.push(base(
                program,
                run,
                None,
                Role::Item,
                "(chương trình bị lỡ)",
                Outcome::Missed,
                0,
            ));
            continue;
        }
        let mut at = run;
        let mut push = |rec: AsRunRecord, at: &mut DateTime<FixedOffset>| {
            *at += Duration::milliseconds(rec.played_ms as i64 + 500);
            out.push(rec);
        };
        push(
            base(
                program,
                at,
                Some(at),
                Role::Intro,
                "Nhạc hiệu",
                Outcome::Completed,
                12_000,
            ),
            &mut at,
        );
        for _ in 0..rng.usize(3..7) {
            let seg = rng.u64(1..40);
            let outcome = match rng.u32(..100) {
                0..3 => Outcome::Interrupted,
                3..5 => Outcome::Failed,
                _ => Outcome::Completed,
            };
            let played = match outcome {
                Outcome::Completed => rng.u64(60_000..300_000),
                Outcome::Interrupted => rng.u64(1_000..60_000),
                _ => 0,
            };
            let mut r = base(
                program,
                run,
                Some(at),
                Role::Item,
                "Bản tin",
                outcome,
                played,
            );
            r.segment_id = Some(SegmentId(seg));
            r.title = format!("Bản tin số {seg}");
            r.topic = TOPICS[(seg % 4) as usize].into();
            r.unit = UNITS[(seg % 3) as usize].map(str::to_string);
            r.sha256 = format!("{seg:064x}");
            if outcome == Outcome::Failed {
                r.started_at = None;
                r.ended_at = None;
                r.reason = Some(r#"{"code":"file_missing"}"#.into());
            }
            push(r, &mut at);
        }
        push(
            base(
                program,
                at,
                Some(at),
                Role::Outro,
                "Nhạc hiệu",
                Outcome::Completed,
                8_000,
            ),
            &mut at,
        );
    }
    if rng.u32(..100) < 5 {
        let at = tz()
            .from_local_datetime(&day.and_hms_opt(13, 10, 0).expect("time"))
            .single()
            .expect("local");
        let mut r = base(
            "khan-cap",
            at,
            Some(at),
            Role::Item,
            "Cảnh báo bão",
            Outcome::Completed,
            90_000,
        );
        r.trigger = Trigger::Manual;
        r.priority = Priority::Emergency;
        r.segment_id = Some(SegmentId(99));
        r.topic = "cds".into();
        r.sha256 = format!("{:064x}", 99);
        // Sent by the province (the inbox): the record says so, in its hash.
        r.source = Some(loaxa::model::InboundOrigin {
            bulletin: format!("QNG-{day}"),
            from: "Sở KH&CN Quảng Ngãi".into(),
            level: Priority::Emergency,
        });
        out.push(r);
    }
    if rng.u32(..100) < 30 {
        let at = tz()
            .from_local_datetime(&day.and_hms_opt(11, 0, 0).expect("time"))
            .single()
            .expect("local");
        let mut r = base(
            "tiep-song",
            at,
            Some(at),
            Role::Relay,
            "Tiếp sóng VOV1",
            Outcome::Completed,
            1_800_000,
        );
        r.relay = Some(loaxa::relay::RelayProof {
            url: Some("https://vov.example/vov1.m3u8".into()),
            relayed_ms: 1_790_000,
            dropout_ms: 10_000,
            ..Default::default()
        });
        out.push(r);
    }
    out
}

fn base(
    program: &str,
    scheduled: DateTime<FixedOffset>,
    started: Option<DateTime<FixedOffset>>,
    role: Role,
    title: &str,
    outcome: Outcome,
    played_ms: u64,
) -> AsRunRecord {
    let station_topic = matches!(role, Role::Intro | Role::Outro);
    AsRunRecord {
        id: 0,
        program: program.into(),
        trigger: Trigger::Schedule,
        role,
        scheduled_at: scheduled,
        started_at: started,
        ended_at: started.map(|s| s + Duration::milliseconds(played_ms as i64)),
        played_ms,
        segment_id: None,
        title: title.into(),
        topic: if station_topic {
            "station".into()
        } else {
            String::new()
        },
        unit: None,
        sha256: String::new(),
        outcome,
        reason: (outcome == Outcome::Missed).then(|| r#"{"code":"daemon_down"}"#.to_string()),
        output: "alsa:default".into(),
        priority: Priority::Normal,
        approved_by: None,
        approved_at: None,
        peak_dbfs: started.map(|_| -1.5),
        loudness_lufs: started.map(|_| -16.0),
        audible_ms: started.map(|_| played_ms),
        silent: false,
        relay: None,
        live: None,
        streams: Vec::new(),
        source: None,
        hash_version: 0,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The province: a cluster, its database with the schema, and `codes` registered; returns
/// each station's address (its own login).
fn province(pg: &Postgres, codes: &[&str]) -> Vec<String> {
    pg.create_db("province");
    let admin = DbUrl::parse(&pg.admin_url("province")).expect("admin url");
    runtime().block_on(async {
        let mut client = db::connect(&admin, &[]).await.expect("admin connects");
        let applied = db::migrate(&mut client).await.expect("migrate");
        assert_eq!(applied, (1..=db::latest_version()).collect::<Vec<_>>());
        // Twice is a no-op.
        assert!(
            db::migrate(&mut client)
                .await
                .expect("migrate again")
                .is_empty()
        );
        let mut urls = Vec::new();
        for code in codes {
            let login = format!("loaxa_{}", code.replace('-', "_"));
            let password = format!("pw-{code}");
            tools::add_station(
                &mut client,
                code,
                &format!("Đài xã {code}"),
                &login,
                &password,
            )
            .await
            .expect("add station");
            urls.push(pg.url(&login, &password, "province"));
        }
        urls
    })
}

fn pusher(store: &Arc<Store>, url: &str, code: &str, batch: usize) -> Pusher {
    Pusher::new(
        store.clone(),
        Target {
            url: DbUrl::parse(url).expect("station url"),
            station_code: code.into(),
            ca_certs: Vec::new(),
            batch,
        },
    )
}

fn h1() -> Period {
    Period::half_year(2026, 1).expect("2026-H1")
}

#[test]
fn three_stations_push_a_half_year_through_outages_and_the_province_sees_every_record_once() {
    let mut pg = Postgres::start();
    let codes = ["ba-to", "son-ha", "minh-long"];
    // A fourth commune is registered but never sends anything.
    let urls = province(&pg, &["ba-to", "son-ha", "minh-long", "tra-bong"]);
    let rt = runtime();
    let stores: Vec<Arc<Store>> = codes
        .iter()
        .map(|_| Arc::new(Store::temporary().expect("store")))
        .collect();
    let mut pushers: Vec<Pusher> = (0..3)
        .map(|i| pusher(&stores[i], &urls[i], codes[i], [500, 7, 100][i]))
        .collect();
    let period = h1();
    let offline = period.from + Duration::days(40)..period.from + Duration::days(47);
    let server_down = period.from + Duration::days(100);
    let mut unreachable = 0;
    let mut day = period.from;
    while day <= period.to {
        if day == server_down {
            pg.stop();
        }
        if day == server_down + Duration::days(1) {
            pg.restart();
        }
        for i in 0..3 {
            stores[i]
                .bulk_append_records(day_records(i as u64, day))
                .expect("append");
            // Station 1's 4G is down for a week: it does not even try.
            if i == 1 && offline.contains(&day) {
                continue;
            }
            match rt.block_on(pushers[i].push()) {
                Ok(p) => assert_eq!(p.unsent, 0, "station {i} on {day}: {p:?}"),
                Err(e) => {
                    assert_eq!(day, server_down, "station {i} on {day}: {e}");
                    assert_eq!(e.fault, DbFault::Unreachable, "{e}");
                    assert!(pushers[i].unsent() > 0);
                    unreachable += 1;
                }
            }
        }
        day = day.succ_opt().expect("next day");
    }
    assert_eq!(unreachable, 3, "every station met the stopped server once");

    // A second pusher of the same station racing the first: nothing doubles.
    for s in &stores {
        s.bulk_append_records(day_records(7, period.to))
            .expect("append");
    }
    let mut twin = pusher(&stores[2], &urls[2], codes[2], 3);
    let (a, b) = rt.block_on(async { tokio::join!(pushers[2].push(), twin.push()) });
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    for p in pushers.iter_mut() {
        rt.block_on(p.push()).expect("final push");
    }

    // Every record once, in order, as the station has it.
    for (i, code) in codes.iter().enumerate() {
        let ours = stores[i].records(None, None).expect("records");
        let theirs = pg.psql(
            "province",
            &format!(
                "SELECT id, hash, prev_hash FROM loaxa.records WHERE station = '{code}' ORDER BY id"
            ),
        );
        let theirs: Vec<&str> = theirs.lines().collect();
        assert_eq!(theirs.len(), ours.len(), "{code}: records at the province");
        assert!(
            ours.len() > 1_500,
            "{code}: a half-year is {} records",
            ours.len()
        );
        for (r, line) in ours.iter().zip(&theirs) {
            assert_eq!(
                *line,
                format!("{}|{}|{}", r.id, r.hash, r.prev_hash),
                "{code}"
            );
        }
    }

    let admin = DbUrl::parse(&pg.admin_url("province")).expect("admin url");
    let client = rt.block_on(db::connect(&admin, &[])).expect("admin");
    let status = rt
        .block_on(tools::status(&client, Utc::now()))
        .expect("status");
    assert_eq!(status.len(), 4);
    for s in &status {
        assert!(s.chain.intact(), "{}: {:?}", s.code, s.chain.broken);
        assert_eq!(s.chain.checked, s.held, "{}", s.code);
    }

    // Ba Tơ says it is alive.
    rt.block_on(pushers[0].heartbeat(&loaxa::province::Heartbeat {
        station_time: Utc::now(),
        station_name: "Đài truyền thanh xã Ba Tơ".into(),
        on_air: None,
        warnings: serde_json::json!([]),
        topics: serde_json::json!({"cds": "Chuyển đổi số"}),
    }))
    .expect("heartbeat");

    // The province report: each station's row is its own report, the province's sums are
    // the stations'.
    let now = Utc::now();
    let generated = now.with_timezone(&tz());
    let report = rt
        .block_on(tools::province_report(&client, period, now, generated))
        .expect("province report");
    let mut sum_broadcasts = 0;
    let mut sum_ms = 0;
    let mut by_topic: BTreeMap<String, u64> = BTreeMap::new();
    for (i, code) in codes.iter().enumerate() {
        let own = summarise(
            stores[i].records(None, None).expect("records"),
            ReportMeta {
                station: format!("Đài xã {code}"),
                period,
                topics: BTreeMap::new(),
                generated_at: generated,
            },
        );
        let row = report
            .stations
            .iter()
            .find(|s| s.code == *code)
            .expect("station row");
        let at_province = &row.report;
        assert_eq!(at_province.records, own.records, "{code}");
        assert_eq!(at_province.totals, own.totals, "{code}");
        assert_eq!(at_province.by_unit, own.by_unit, "{code}");
        assert_eq!(at_province.by_month, own.by_month, "{code}");
        assert_eq!(
            at_province.emergency_broadcasts, own.emergency_broadcasts,
            "{code}"
        );
        assert_eq!(at_province.relays, own.relays, "{code}");
        assert_eq!(at_province.anchor, own.anchor, "{code}");
        let topics = |r: &loaxa::report::Report| -> Vec<(String, loaxa::report::Counts)> {
            r.by_topic
                .iter()
                .map(|(s, _, c)| (s.clone(), c.clone()))
                .collect()
        };
        assert_eq!(topics(at_province), topics(&own), "{code}");
        assert!(
            own.totals.broadcasts > 1_000
                && own.emergency_broadcasts > 0
                && own.relays.totals.windows > 0
        );
        sum_broadcasts += own.totals.broadcasts;
        sum_ms += own.totals.played_ms;
        for (slug, _, c) in &own.by_topic {
            *by_topic.entry(slug.clone()).or_default() += c.broadcasts;
        }
    }
    assert_eq!(report.totals.broadcasts, sum_broadcasts);
    assert_eq!(report.totals.played_ms, sum_ms);
    let province_topics: BTreeMap<String, u64> = report
        .by_topic
        .iter()
        .map(|(s, c)| (s.clone(), c.broadcasts))
        .collect();
    assert_eq!(province_topics, by_topic);
    // Only Ba Tơ beat (below, before the report); the others are "not reporting", and Trà
    // Bồng, which never sent a record, is silent too.
    let concerns: BTreeMap<&str, &Vec<loaxa::report::Concern>> = report
        .concerns
        .iter()
        .map(|(c, why)| (c.as_str(), why))
        .collect();
    use loaxa::report::Concern::{NotReporting, Silent};
    assert!(!concerns.contains_key("ba-to"), "{concerns:?}");
    assert_eq!(concerns["son-ha"], &vec![NotReporting]);
    assert_eq!(concerns["tra-bong"], &vec![NotReporting, Silent]);
    assert_eq!(report.stations.len(), 4);
    // Topic labels come from the stations' heartbeats.
    assert_eq!(report.topic_labels["cds"], "Chuyển đổi số");
    let xlsx = tempfile::tempdir().expect("dir");
    let path = xlsx.path().join("bao-cao-tinh.xlsx");
    loaxa::report::province_to_path(
        &report,
        loaxa::report::ReportFormat::Xlsx,
        loaxa::report::Lang::Vi,
        &path,
    )
    .expect("xlsx");
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("open xlsx");
    let sheet = book.worksheet_range("Theo đài").expect("station sheet");
    let text = format!("{sheet:?}");
    assert!(
        text.contains("son-ha") && text.contains("tra-bong"),
        "{text}"
    );

    // The report renders in every format.
    for format in [
        loaxa::report::ReportFormat::Md,
        loaxa::report::ReportFormat::Csv,
        loaxa::report::ReportFormat::Html,
    ] {
        let text = loaxa::report::province_to_string(&report, format, loaxa::report::Lang::Vi)
            .expect("render");
        assert!(
            text.contains("ba-to") && text.contains("Theo đài"),
            "{format}"
        );
    }

    // Tampering at the province: a title changed in one record, a record deleted at another
    // station. Both are named by station and id.
    pg.psql(
        "province",
        "UPDATE loaxa.records SET record = jsonb_set(record, '{title}', '\"Tin đã sửa\"') \
         WHERE station = 'son-ha' AND id = 77",
    );
    pg.psql(
        "province",
        "DELETE FROM loaxa.records WHERE station = 'minh-long' AND id = 500",
    );
    let status = rt
        .block_on(tools::status(&client, Utc::now()))
        .expect("status");
    let by_code: BTreeMap<&str, &tools::StationStatus> =
        status.iter().map(|s| (s.code.as_str(), s)).collect();
    assert!(by_code["ba-to"].chain.intact());
    let broken = by_code["son-ha"]
        .chain
        .broken
        .as_ref()
        .expect("son-ha broken");
    assert_eq!(broken.id, 77);
    assert!(
        matches!(
            broken.problem,
            loaxa::store::chain::Problem::ContentChanged { .. }
        ),
        "{broken:?}"
    );
    let broken = by_code["minh-long"]
        .chain
        .broken
        .as_ref()
        .expect("minh-long broken");
    assert_eq!(broken.id, 500);
    assert!(
        matches!(broken.problem, loaxa::store::chain::Problem::Missing { .. }),
        "{broken:?}"
    );
    // The CLI says it in Vietnamese, with the station and the record, and fails.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .args(["province", "status", "--db", &pg.admin_url("province")])
        .output()
        .expect("loaxa province status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("son-ha") && text.contains("bản ghi 77"),
        "{text}"
    );
    assert!(text.contains("thiếu bản ghi 500"), "{text}");
}

#[test]
fn row_level_security_keeps_each_station_to_its_own_rows() {
    let pg = Postgres::start();
    let urls = province(&pg, &["ba-to", "son-ha"]);
    let rt = runtime();
    let store = Arc::new(Store::temporary().expect("store"));
    store
        .bulk_append_records(day_records(
            1,
            NaiveDate::from_ymd_opt(2026, 3, 2).expect("day"),
        ))
        .expect("append");
    rt.block_on(pusher(&store, &urls[1], "son-ha", 50).push())
        .expect("son-ha pushes its own");
    // Ba Tơ's login pushing as Sơn Hà: refused by the row-level security.
    let err = rt
        .block_on(pusher(&store, &urls[0], "son-ha", 50).push())
        .expect_err("ba-to cannot write son-ha's rows");
    assert_eq!(err.fault, DbFault::NotRegistered, "{err}");
    rt.block_on(async {
        let url = DbUrl::parse(&urls[0]).expect("url");
        let client = db::connect(&url, &[]).await.expect("ba-to connects");
        let e = client
            .execute(
                "INSERT INTO loaxa.records (station, id, at, hash, prev_hash, record) \
                 VALUES ('son-ha', 999, now(), 'x', 'y', '{}')",
                &[],
            )
            .await
            .expect_err("row-level security");
        assert_eq!(loaxa::province::DbError::from(e).fault, DbFault::Forbidden);
        let seen: i64 = client
            .query_one("SELECT count(*) FROM loaxa.records", &[])
            .await
            .expect("count")
            .get(0);
        assert_eq!(seen, 0, "ba-to sees none of son-ha's records");
        let e = client
            .execute("DELETE FROM loaxa.records", &[])
            .await
            .expect_err("no station deletes records");
        assert_eq!(loaxa::province::DbError::from(e).fault, DbFault::Forbidden);
        let e = client
            .execute("UPDATE loaxa.records SET hash = 'x'", &[])
            .await
            .expect_err("no station changes records");
        assert_eq!(loaxa::province::DbError::from(e).fault, DbFault::Forbidden);
    });
    // A wrong password.
    let wrong = urls[0].replace("pw-ba-to", "wrong");
    let err = rt
        .block_on(pusher(&store, &wrong, "ba-to", 50).push())
        .expect_err("refused");
    assert_eq!(err.fault, DbFault::Refused, "{err}");
}

#[test]
fn a_province_copy_that_is_not_this_log_stops_the_push() {
    let pg = Postgres::start();
    let urls = province(&pg, &["ba-to"]);
    let rt = runtime();
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("day");
    let first = Arc::new(Store::temporary().expect("store"));
    first
        .bulk_append_records(day_records(1, day))
        .expect("append");
    rt.block_on(pusher(&first, &urls[0], "ba-to", 50).push())
        .expect("push");
    // The station PC was reinstalled with an empty log, then aired a day: another log under
    // the same code.
    let second = Arc::new(Store::temporary().expect("store"));
    second
        .bulk_append_records(day_records(2, day.succ_opt().expect("day")))
        .expect("append");
    let mut p = pusher(&second, &urls[0], "ba-to", 50);
    let err = rt.block_on(p.push()).expect_err("diverged");
    assert_eq!(err.fault, DbFault::Diverged, "{err}");
    // It stays stopped, and the province's copy is untouched.
    assert_eq!(
        rt.block_on(p.push()).expect_err("still").fault,
        DbFault::Diverged
    );
    let n = pg.psql("province", "SELECT count(*) FROM loaxa.records");
    assert_eq!(
        n.trim(),
        first
            .records(None, None)
            .expect("records")
            .len()
            .to_string()
    );
}

/// `[province]` keys of a station config.
fn province_keys(url: &str, extra: &str) -> String {
    format!("\n[province]\nurl = \"{url}\"\nstation_code = \"ba-to\"\n{extra}\n")
}

#[test]
fn the_daemon_pushes_its_log_and_beats_over_tls_and_catches_up_after_the_server_was_down() {
    use daemon_api::{agent, now, wait_for};
    let mut pg = Postgres::start_tls();
    let urls = province(&pg, &["ba-to"]);
    let ca = pg.ca_pem.clone().expect("TLS");

    // Without the province's CA the certificate is not trusted.
    let store = Arc::new(Store::temporary().expect("store"));
    let err = runtime()
        .block_on(pusher(&store, &urls[0], "ba-to", 10).push())
        .expect_err("untrusted certificate");
    assert_eq!(err.fault, DbFault::Tls, "{err}");

    // A program every 10 s airing a 2 s item; the log goes to the province over TLS.
    let program = format!(
        "[[program]]\nname = \"tin\"\ncron = \"*/10 * * * * *\"\nplaylists = [\"tin\"]\nqueue = false\n{}",
        province_keys(&urls[0], "ca_file = \"ca.pem\"\nheartbeat = \"10s\"")
    );
    let t = station::TestStation::new(
        &program,
        &[("tin.toml", "[[item]]\nsegment = 1\n")],
        station::local(2026, 5, 4, 4, 59, 0),
    );
    std::fs::write(t.path("config/ca.pem"), &ca).expect("ca file");
    t.noise_file("media/tin.wav", 2.0);
    {
        let station = t.station_at(Utc::now());
        t.add(&station, "media/tin.wav", t.meta("Bản tin chuyển đổi số"));
    }
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .args(["-c", &t.config_path().display().to_string(), "check"])
        .output()
        .expect("loaxa check");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("cơ sở dữ liệu của tỉnh") && said.contains("kết nối được"),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let mut daemon = process::Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));
    let http = agent();
    let province_count = |pg: &Postgres| -> u64 {
        pg.psql("province", "SELECT count(*) FROM loaxa.records")
            .trim()
            .parse()
            .expect("count")
    };
    let state = wait_for(&http, &base, 180, "the log at the province", |n| {
        n["province"]["phase"] == "up_to_date" && n["province"]["province_has"].as_u64() >= Some(3)
    });
    assert_eq!(state["province"]["station_code"], "ba-to");
    assert!(
        !state["province"]["url"]
            .as_str()
            .expect("url")
            .contains("pw-ba-to")
    );
    let beat = pg.psql(
        "province",
        "SELECT version, station_name, now() - seen_at < interval '1 minute' FROM loaxa.heartbeats",
    );
    assert_eq!(
        beat.trim(),
        format!("{}|Đài thử nghiệm|t", env!("CARGO_PKG_VERSION"))
    );

    // The province's server goes away for a while: the station airs on, its records wait.
    pg.stop();
    let down = wait_for(&http, &base, 120, "the link retrying", |n| {
        n["province"]["phase"] == "retrying"
    });
    assert_eq!(down["province"]["error"]["fault"], "unreachable", "{down}");
    // Minutes of 4G outage are no news to the operator: no warning yet.
    assert!(
        !down["warnings"].to_string().contains("province_lost"),
        "{down}"
    );
    let waiting = wait_for(&http, &base, 180, "records waiting", |n| {
        n["province"]["unsent"].as_u64() >= Some(3)
    });
    let has_before = waiting["province"]["province_has"].as_u64().expect("has");
    pg.restart();
    let back = wait_for(&http, &base, 240, "the log caught up", |n| {
        n["province"]["phase"] == "up_to_date"
            && n["province"]["province_has"].as_u64() >= Some(has_before + 3)
    });
    assert_eq!(back["province"]["unsent"], 0, "{back}");
    assert!(province_count(&pg) >= has_before + 3);
    let n = now(&http, &base);
    assert!(n["province"]["error"].is_null(), "{n}");

    // Every record at the province is the station's, in order, none missing.
    assert_eq!(daemon.signal_and_wait("-TERM").code(), Some(0));
    let ours = daemon_api::records(&t);
    let theirs = pg.psql(
        "province",
        "SELECT id, hash FROM loaxa.records WHERE station = 'ba-to' ORDER BY id",
    );
    let theirs: Vec<&str> = theirs.lines().collect();
    assert!(
        theirs.len() >= 6 && theirs.len() <= ours.len(),
        "{theirs:?}"
    );
    for (r, line) in ours.iter().zip(&theirs) {
        assert_eq!(*line, format!("{}|{}", r.id, r.hash));
    }
    // The province's tool sees it reporting, its chain intact.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .args([
            "province",
            "status",
            "--json",
            "--db",
            &pg.admin_url("province"),
        ])
        .output()
        .expect("loaxa province status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status[0]["code"], "ba-to");
    assert_eq!(status[0]["reporting"], true);
    assert!(status[0]["chain"]["broken"].is_null(), "{status}");
}

#[test]
fn a_wrong_password_warns_the_operator_at_once_and_bad_keys_are_named_at_their_place() {
    use daemon_api::{agent, wait_for};
    let pg = Postgres::start();
    let urls = province(&pg, &["ba-to"]);
    let wrong = urls[0].replace("pw-ba-to", "sai-mat-khau");
    let t = station::TestStation::new(
        &province_keys(&wrong, ""),
        &[],
        station::local(2026, 5, 4, 4, 59, 0),
    );
    let mut daemon = process::Daemon::spawn_with_env(&t.config_path(), &[]);
    let base = daemon.api_address(&t.path("data"));
    let n = wait_for(&agent(), &base, 30, "the province_lost warning", |n| {
        n["warnings"].to_string().contains("province_lost")
    });
    let w = n["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"] == "province_lost")
        .expect("warning");
    assert_eq!(w["link_fault"], "refused", "{w}");
    assert!(
        !w["url"].as_str().expect("url").contains("sai-mat-khau"),
        "{w}"
    );
    let text = loaxa::words::Say::say(
        &serde_json::from_value::<loaxa::model::Warning>(w.clone()).expect("warning"),
        loaxa::words::Lang::Vi,
    );
    assert!(text.contains("từ chối đăng nhập"), "{text}");
    drop(daemon);

    // A config mistake is named at its place, in Vietnamese, with a fix.
    let t = station::TestStation::new(
        "\n[province]\nurl = \"mysql://a:b@10.0.0.5/loaxa\"\nstation_code = \"Ba Tơ\"\n",
        &[],
        station::local(2026, 5, 4, 4, 59, 0),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loaxa"))
        .args(["-c", &t.config_path().display().to_string(), "check"])
        .output()
        .expect("loaxa check");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("loaxa.toml:") && said.contains("postgres://"),
        "{said}"
    );
    assert!(said.contains("mã đài `Ba Tơ` không hợp lệ"), "{said}");
    assert!(!said.contains("a:b@"), "the password is not shown: {said}");
}

/// The numbers in BENCHMARKS.md ("Province database"): records per second one station
/// pushes, and the province report over 100 stations × one half-year beside `psql \copy` of
/// the same rows. `cargo test --release --test province -- --ignored --nocapture`.
#[test]
#[ignore = "a benchmark: run it by hand in release"]
fn bench_province_push_and_report() {
    use std::time::Instant;
    let pg = Postgres::start();
    let codes: Vec<String> = (0..100).map(|i| format!("xa-{i:03}")).collect();
    let code_refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let urls = province(&pg, &code_refs);
    let rt = runtime();
    let period = h1();
    let half_year = |seed: u64| {
        let store = Arc::new(Store::temporary().expect("store"));
        let mut day = period.from;
        while day <= period.to {
            store
                .bulk_append_records(day_records(seed, day))
                .expect("append");
            day = day.succ_opt().expect("day");
        }
        store
    };
    // One station, a half-year offline: everything in one push.
    let mut per_station = Vec::new();
    let mut total = 0;
    let started = Instant::now();
    for (i, code) in codes.iter().enumerate() {
        let store = half_year(i as u64);
        let n = store.records(None, None).expect("records").len();
        let t = Instant::now();
        let p = rt
            .block_on(pusher(&store, &urls[i], code, 500).push())
            .expect("push");
        assert_eq!(p.sent as usize, n);
        per_station.push(n as f64 / t.elapsed().as_secs_f64());
        total += n;
    }
    per_station.sort_by(f64::total_cmp);
    println!(
        "push: {total} records from 100 stations in {:.1} s; one station's half-year ({} records) at a median {:.0} records/s (min {:.0}, max {:.0})",
        started.elapsed().as_secs_f64(),
        total / 100,
        per_station[50],
        per_station[0],
        per_station[99]
    );
    let admin = DbUrl::parse(&pg.admin_url("province")).expect("admin");
    let client = rt.block_on(db::connect(&admin, &[])).expect("admin");
    let mut report_s = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let now = Utc::now();
        let r = rt
            .block_on(tools::province_report(
                &client,
                period,
                now,
                now.with_timezone(&tz()),
            ))
            .expect("report");
        assert_eq!(r.stations.len(), 100);
        let text = loaxa::report::province_to_string(
            &r,
            loaxa::report::ReportFormat::Md,
            loaxa::report::Lang::Vi,
        )
        .expect("md");
        assert!(text.len() > 1000);
        report_s.push(t.elapsed().as_secs_f64());
    }
    let mut copy_s = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let out = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg.psql_bin())
            .args(["-h", &pg.socket_dir().display().to_string(), "-p", &pg.port.to_string(), "-d", "province", "-Atq", "-c"])
            .arg("\\copy (SELECT station, id, record FROM loaxa.records ORDER BY station, id) to '/dev/null'")
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        copy_s.push(t.elapsed().as_secs_f64());
    }
    println!(
        "province report over {total} records (chains verified, all formats' tables): {:.2} / {:.2} / {:.2} s; psql \\copy of the same rows: {:.2} / {:.2} / {:.2} s",
        report_s[0], report_s[1], report_s[2], copy_s[0], copy_s[1], copy_s[2]
    );
    let size = pg.psql(
        "province",
        "SELECT pg_size_pretty(pg_database_size('province'))",
    );
    println!("database size: {}", size.trim());
}
