//! `shipgate dashboard`: parses the arguments and hands the ledger to the
//! engine, which verifies it and writes the static site.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use shipgate_engine::dashboard::{self, Options};
use shipgate_engine::ledger::Ledger;
use shipgate_engine::sign::VerifyingKey;
use shipgate_engine::{Config, SourceFile};

use crate::{Exit, fail_input, usage};

#[derive(Args)]
pub(crate) struct DashboardArgs {
    /// Ledger directory [default: [ledger] dir of ./shipgate.toml, else .shipgate/ledger].
    #[arg(long, value_name = "DIR")]
    ledger: Option<PathBuf>,
    /// Directory to write the site into: created if absent; it must be empty
    /// or hold an earlier dashboard (nothing else is ever overwritten).
    ///
    /// Example: --out site/
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Trusted public key (SPKI PEM) to verify record signatures, repeatable
    /// [default: [trust] keys of ./shipgate.toml].
    #[arg(long = "key", value_name = "PUB")]
    keys: Vec<PathBuf>,
    /// The day waiver expiries are judged against (YYYY-MM-DD or RFC 3339):
    /// pin it for reproducible sites [default: today, UTC].
    ///
    /// Example: --now 2026-11-23
    #[arg(long, value_name = "DATE")]
    now: Option<String>,
    /// Latest records listed on the overview.
    #[arg(long, value_name = "N", default_value_t = 25)]
    latest: usize,
    /// Records per page of the records index.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    page_size: u64,
}

fn config_here() -> Option<Config> {
    let path = Path::new(shipgate_engine::config::FILE_NAME);
    let file = SourceFile::read(path, shipgate_engine::config::FILE_NAME, 1 << 20).ok()?;
    Config::load(&file).ok()
}

fn today(now: Option<&str>) -> Result<jiff::civil::Date, Exit> {
    let Some(text) = now else {
        return Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date());
    };
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Ok(d);
    }
    text.parse::<jiff::Timestamp>()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .map_err(|e| {
            usage(
                format!("`--now {text}` is neither a date nor an RFC 3339 time: {e}"),
                "write e.g. --now 2026-11-23 or --now 2026-11-23T12:00:00Z",
            )
        })
}

pub(crate) fn dashboard(args: &DashboardArgs) -> Exit {
    let today = match today(args.now.as_deref()) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let config = if args.ledger.is_none() || args.keys.is_empty() {
        config_here()
    } else {
        None
    };
    let dir = args.ledger.clone().unwrap_or_else(|| {
        config.as_ref().map_or_else(
            || PathBuf::from(shipgate_engine::ledger::DEFAULT_DIR),
            |c| c.ledger.dir.clone(),
        )
    });
    let key_paths = if args.keys.is_empty() {
        config.map(|c| c.trust.keys).unwrap_or_default()
    } else {
        args.keys.clone()
    };
    let keys: Vec<VerifyingKey> = match key_paths
        .iter()
        .map(|p| VerifyingKey::from_file(p))
        .collect()
    {
        Ok(k) => k,
        Err(p) => return fail_input(p.into()),
    };
    let ledger = match Ledger::open_existing(&dir) {
        Ok(l) => l,
        Err(p) => return fail_input(p.into()),
    };
    let mut opts = Options::new(today, dir.display().to_string());
    opts.replay_keys = key_paths.iter().map(|p| p.display().to_string()).collect();
    opts.latest = args.latest;
    opts.page_size = usize::try_from(args.page_size).unwrap_or(usize::MAX);
    let built = match dashboard::build(&ledger, &keys, &opts, &args.out) {
        Ok(b) => b,
        Err(p) => return fail_input(p.into()),
    };
    let c = built.counts;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "dashboard: {}\n  {} record(s): {} pass, {} fail, {} failed verification\n  {} files, {} bytes; overview {} bytes",
        args.out.join("index.html").display(),
        built.records,
        c.pass,
        c.fail,
        c.unverified,
        built.files,
        built.bytes,
        built.overview_bytes
    );
    if built.intact {
        let _ = writeln!(stdout, "  ledger intact");
        Exit::Pass
    } else {
        let _ = writeln!(
            stdout,
            "  ledger NOT intact: {} chain/object problem(s), {} record(s) failed verification (the site shows them)",
            built.findings, c.unverified
        );
        Exit::Fail
    }
}
