//! A fresh install's page in a real browser (issue 19): the packaged config has no program, so
//! nothing will air, and the *Đang phát* page must say what to do next instead of only "no
//! program coming up"; the footer shows the version and build date. Headless Chromium over
//! WebDriver (`support/webdriver.rs`) against the daemon in-process.
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`); without them the
//! test fails and says how to install them.

#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;
#[path = "support/webdriver.rs"]
mod webdriver;

use station::TestStation;
use webdriver::Browser;

#[test]
fn a_station_with_no_program_shows_the_next_step_and_the_version() {
    let live = live::start(TestStation::new(
        "",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    ));
    let config = live.t.config_path().display().to_string();
    let base = live.base.trim_end_matches("/api/v1").to_string();
    let downloads = tempfile::tempdir().expect("downloads");
    let browser = Browser::start(downloads.path(), 1280, 900);
    browser.goto(&format!("{base}/#now"));
    browser.wait("body[data-ready] main[data-page=\"now\"] h1", 10);

    browser.wait_text("#on-air-idle", 5, "no program", |t| {
        t.contains("chưa có chương trình")
    });
    let steps = browser.wait_text("#first-steps", 5, "next steps", |t| {
        t.contains("Bước tiếp theo")
    });
    for needle in [
        format!("sudo nano {config}"),
        "[[program]]".to_string(),
        "sudo -u loaxa loaxa check".to_string(),
        "sudo systemctl reload loaxa".to_string(),
        "Hàng chờ & phát".to_string(),
    ] {
        assert!(steps.contains(&needle), "`{needle}` not in: {steps}");
    }
    let version = browser.wait_text("#version", 5, "version", |t| !t.is_empty());
    assert_eq!(
        version,
        format!(
            "loaxa {}, bản dựng ngày {}",
            loaxa::version::VERSION,
            loaxa::version::BUILD_DATE
        )
    );

    browser.choose("#lang-select", "en");
    let steps = browser.wait_text("#first-steps", 5, "next steps in English", |t| {
        t.contains("Next step")
    });
    assert!(steps.contains("sudo systemctl reload loaxa"), "{steps}");
    browser.wait_text("#version", 5, "version in English", |t| {
        t.contains(", built ")
    });
}
