//! `loaxa province …`: the province's tools over its central database (`--db URL`, or
//! `$LOAXA_PROVINCE_DB` so the password stays out of the process list): set the schema up
//! (`migrate`), register a station (`add-station`), see every station (`status`), and the
//! half-year report across all of them (`report`).

use anyhow::{Context, Result, bail};
use chrono::Utc;

use super::fmt;
use super::report::ReportArgs;
use crate::province::tools::{self, StationStatus};
use crate::province::{DbError, DbUrl, db};
use crate::report;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Subcommand)]
pub enum ProvinceCmd {
    Migrate(DbArg),
    AddStation(AddStationArgs),
    Status(StatusArgs),
    Report(ProvinceReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct DbArg {
    #[arg(long, value_name = "URL")]
    db: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AddStationArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(value_name = "CODE")]
    code: String,
    #[arg(long, value_name = "STATION_NAME", default_value = "")]
    name: String,
    #[arg(long, value_name = "LOGIN")]
    login: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    db: DbArg,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProvinceReportArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    report: ReportArgs,
}

impl DbArg {
    fn url(&self) -> Result<DbUrl> {
        let text = match &self.db {
            Some(t) => t.clone(),
            None => std::env::var("LOAXA_PROVINCE_DB").map_err(|_| {
                anyhow::anyhow!(
                    "{}\n  {}: --db postgres://TÊN:MẬT_KHẨU@MÁY_CHỦ:5432/loaxa",
                    fmt::t(
                        "chưa cho biết cơ sở dữ liệu của tỉnh",
                        "no province database given"
                    ),
                    fmt::hint_word()
                )
            })?,
        };
        DbUrl::parse(&text).map_err(|p| {
            anyhow::anyhow!(
                "{} `{}`: {}",
                fmt::t(
                    "địa chỉ cơ sở dữ liệu không dùng được",
                    "unusable database address"
                ),
                db::hide_password(&text),
                p.say(fmt::lang())
            )
        })
    }
}

/// The error as the province's operator reads it: what failed, then what the server said.
fn db_error(e: DbError) -> anyhow::Error {
    anyhow::anyhow!("{} ({})", fmt::say(&e.fault), fmt::safe(&e.detail))
}

pub fn province(cmd: ProvinceCmd) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the database client")?;
    runtime.block_on(run(cmd))
}

async fn connect(arg: &DbArg) -> Result<tokio_postgres::Client> {
    let url = arg.url()?;
    db::connect(&url, &[]).await.map_err(db_error)
}

async fn run(cmd: ProvinceCmd) -> Result<i32> {
    match cmd {
        ProvinceCmd::Migrate(arg) => {
            let mut client = connect(&arg).await?;
            let applied = db::migrate(&mut client).await.map_err(db_error)?;
            let version = db::schema_version(&client).await.map_err(db_error)?;
            if applied.is_empty() {
                outln!(
                    "{} {version}",
                    fmt::t(
                        "lược đồ đã ở phiên bản mới nhất:",
                        "the schema is up to date: version"
                    )
                );
            } else {
                let list: Vec<String> = applied.iter().map(i32::to_string).collect();
                outln!(
                    "{} {} → {version}",
                    fmt::t("đã áp dụng bước nâng cấp", "applied migration(s)"),
                    list.join(", ")
                );
            }
            Ok(0)
        }
        ProvinceCmd::AddStation(args) => add_station(args).await,
        ProvinceCmd::Status(args) => {
            let client = connect(&args.db).await?;
            let list = tools::status(&client, Utc::now()).await.map_err(db_error)?;
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_status(&list)?;
            }
            let broken = list.iter().any(|s| !s.chain.intact());
            Ok(if broken { 1 } else { 0 })
        }
        ProvinceCmd::Report(args) => {
            let now = Utc::now();
            let local = now
                .with_timezone(&crate::config::DEFAULT_TIMEZONE)
                .fixed_offset();
            let (period, format) = args.report.choices(local.date_naive())?;
            let client = connect(&args.db).await?;
            let r = tools::province_report(&client, period, now, local)
                .await
                .map_err(db_error)?;
            let lang = args.report.lang();
            args.report.deliver(
                period,
                |path| report::province_to_path(&r, format, lang, path),
                || report::province_to_string(&r, format, lang),
            )?;
            Ok(0)
        }
    }
}

async fn add_station(args: AddStationArgs) -> Result<i32> {
    if !tools::code_ok(&args.code) {
        bail!(
            "{} `{}`\n  {}: {}",
            fmt::t("mã đài không hợp lệ", "invalid station code"),
            fmt::safe(&args.code),
            fmt::hint_word(),
            fmt::t(
                "chữ thường không dấu, số, `-` và `_`, tối đa 48 ký tự, ví dụ ba-to",
                "lower-case letters without accents, digits, `-` and `_`, at most 48, e.g. ba-to"
            )
        );
    }
    let login = args
        .login
        .clone()
        .unwrap_or_else(|| format!("loaxa_{}", args.code.replace('-', "_")));
    let url = args.db.url()?;
    let mut client = db::connect(&url, &[]).await.map_err(db_error)?;
    let password: String = (0..24)
        .map(|_| {
            const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
            ALPHABET[fastrand::usize(..ALPHABET.len())] as char
        })
        .collect();
    tools::add_station(&mut client, &args.code, &args.name, &login, &password)
        .await
        .map_err(db_error)?;
    let shown = url.shown();
    let (scheme, rest) = shown.split_once("://").unwrap_or(("postgres", shown));
    let host_and_db = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    outln!(
        "{} `{}` ({login})",
        fmt::t("đã đăng ký đài", "registered station"),
        args.code
    );
    outln!(
        "{}",
        fmt::t(
            "chép mục sau vào cấu hình của đài (loaxa.toml):",
            "copy this into the station's config (loaxa.toml):"
        )
    );
    outln!();
    outln!("[province]");
    outln!("url = \"{scheme}://{login}:{password}@{host_and_db}\"");
    outln!("station_code = \"{}\"", args.code);
    Ok(0)
}

fn print_status(list: &[StationStatus]) -> Result<()> {
    if list.is_empty() {
        outln!(
            "{}",
            fmt::t(
                "chưa có đài nào được đăng ký (loaxa province add-station)",
                "no station is registered yet (loaxa province add-station)"
            )
        );
        return Ok(());
    }
    let tz = crate::config::DEFAULT_TIMEZONE;
    for s in list {
        let seen = s.last_seen.map_or_else(
            || fmt::t("chưa bao giờ", "never").to_string(),
            |t| t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
        );
        let state = if s.reporting {
            fmt::t("đang báo cáo", "reporting")
        } else {
            fmt::t("KHÔNG BÁO CÁO", "NOT REPORTING")
        };
        outln!(
            "{} — {}: {state}, {} {seen}",
            fmt::safe(&s.code),
            fmt::safe(&s.name),
            fmt::t("liên lạc cuối", "last seen")
        );
        if let Some(title) = &s.on_air {
            outln!("  {} {}", fmt::t("đang phát:", "on air:"), fmt::safe(title));
        }
        outln!(
            "  {} {} ({} {}), {} {}",
            fmt::t("tỉnh giữ", "held at the province:"),
            s.held,
            fmt::t("bản ghi cuối", "last record"),
            s.last_record,
            fmt::t("còn thiếu", "behind:"),
            s.behind.map_or_else(|| "?".to_string(), |b| b.to_string())
        );
        match &s.chain.broken {
            None => outln!("  {}", fmt::t("nhật ký: toàn vẹn", "log: intact")),
            Some(b) => outln!(
                "  {} {}",
                fmt::t("NHẬT KÝ KHÔNG TOÀN VẸN:", "LOG NOT INTACT:"),
                fmt::say(b)
            ),
        }
        for w in &s.warnings {
            // A warning this loaxa knows in the operator's words, another by its code.
            let text = match serde_json::from_value::<crate::model::Warning>(w.clone()) {
                Ok(w) => fmt::say(&w),
                Err(_) => {
                    fmt::safe(w.get("code").and_then(|c| c.as_str()).unwrap_or("?")).to_string()
                }
            };
            outln!("  {} {text}", fmt::t("cảnh báo:", "warning:"));
        }
    }
    Ok(())
}
