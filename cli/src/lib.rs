//! `shipgate`: parses arguments, picks a renderer, maps the outcome to an exit
//! code. Everything else is in `shipgate-engine`.
//!
//! The command line is a library with one entry point, [`main`], so that two
//! binaries share it without compiling it twice: `shipgate` (this package)
//! and `shipgate-hook` (the repository's root package, which pre-commit's
//! `language: rust` installs with `cargo install --path .`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shipgate_engine::backend::guard::WORKER_THREAD_NAME;
use shipgate_engine::bundle::testing;
use shipgate_engine::config::{self, BundleConfig, SbomSchemaMode};
use shipgate_engine::decision::FailOn;
use shipgate_engine::report;
use shipgate_engine::{Config, GitContext, Language, Plan, Problem, Problems, SourceFile, Verdict};

/// The allocator of both binaries (they link this library); [`main`] sets its
/// purge delay first.
#[global_allocator]
static ALLOCATOR: shipgate_alloc::MiMalloc = shipgate_alloc::MiMalloc;

/// Exit codes (documented in the README).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Exit {
    /// The gate passed.
    Pass = 0,
    /// The gate failed.
    Fail = 1,
    /// Usage or input error.
    Input = 2,
    /// Internal or evaluation error.
    Internal = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

#[derive(Parser)]
#[command(name = "shipgate", version, about = "A policy-as-code release gate", long_about = None)]
pub(crate) struct Cli {
    /// When to colour output: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a release's evidence against the configured bundles.
    ///
    /// Example: shipgate check examples/edge-agent-fail --format json
    Check(Box<CheckArgs>),
    /// Run a bundle's own unit tests (tests/*.json), like `opa test`.
    ///
    /// Example: shipgate test policies/sbom policies/provenance
    Test(TestArgs),
    /// Sign a privacy, residency or SLSA provenance predicate about release
    /// artifacts into an attestation (in-toto Statement in a DSSE envelope).
    ///
    /// Example: shipgate attest --type privacy --predicate privacy.json --manifest release.json --artifact kws-model.tflite --key keys/shipgate.key --out privacy.dsse.json
    Attest(attest::AttestArgs),
    /// Write a signing key pair (PKCS#8 private key, SPKI public key, PEM).
    ///
    /// Example: shipgate keygen --alg ed25519 --out keys/
    Keygen(records::KeygenArgs),
    /// Check a signed record's signature and show what it certifies.
    ///
    /// Example: shipgate verify out.dsse.json --key keys/shipgate.pub
    Verify(records::VerifyArgs),
    /// List or verify the ledger of records.
    #[command(subcommand)]
    Ledger(records::LedgerCommand),
    /// Re-run recorded evaluations from the ledger and compare, bit for bit.
    ///
    /// Example: shipgate replay --all
    Replay(records::ReplayArgs),
    /// Write the ledger as a static audit site (no server; opens from the file system).
    ///
    /// Example: shipgate dashboard --out site/ --key keys/shipgate.pub
    Dashboard(dashboard::DashboardArgs),
    /// Write a commented shipgate.toml, an example waivers file and a GitHub workflow.
    Init(init::InitArgs),
    /// Print shell completions.
    ///
    /// Example: shipgate completions bash > /etc/bash_completion.d/shipgate
    Completions(init::CompletionsArgs),
    /// Write man pages.
    Man(init::ManArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// A shipgate.toml, or a directory holding one [default: ./shipgate.toml].
    path: Option<PathBuf>,
    /// Output format on stdout.
    ///
    /// Example: --format sarif
    #[arg(long, default_value = "text", value_parser = format_parser())]
    format: report::Format,
    /// Also write the report in another format to a file, repeatable:
    /// FORMAT=PATH, from the same evaluation as stdout.
    ///
    /// Example: --output sarif=shipgate.sarif --output junit=shipgate.xml
    #[arg(long = "output", value_name = "FORMAT=PATH")]
    outputs: Vec<String>,
    /// Release manifest (overrides [evidence] manifest).
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// SBOM, repeatable (replaces [evidence] sboms).
    #[arg(long = "sbom", value_name = "FILE")]
    sboms: Vec<PathBuf>,
    /// Prices and forecasts for the cost model (overrides [evidence] cost).
    #[arg(long, value_name = "FILE")]
    cost: Option<PathBuf>,
    /// Attestation (in-toto Statement, bare or in a DSSE envelope),
    /// repeatable (replaces [evidence] attestations).
    #[arg(long = "attestation", value_name = "FILE")]
    attestations: Vec<PathBuf>,
    /// OSV feed: a file, or a directory of *.json files; repeatable
    /// (replaces [evidence] vulns).
    ///
    /// Example: --vulns osv/npm --vulns osv/PyPI
    #[arg(long = "vulns", value_name = "PATH")]
    vulns: Vec<PathBuf>,
    /// Public key (SPKI PEM) trusted to sign attestations, repeatable
    /// (replaces [trust] keys).
    #[arg(long = "trust-key", value_name = "FILE")]
    trust_keys: Vec<PathBuf>,
    /// Bundle directory, repeatable (replaces the [[bundle]] list).
    #[arg(long = "bundle", value_name = "DIR")]
    bundles: Vec<PathBuf>,
    /// Bundle parameter override, repeatable: BUNDLE-DIR-NAME.KEY=JSON.
    ///
    /// Example: --param sbom.allowed_licenses='["MIT","Apache-2.0"]'
    #[arg(long = "param", value_name = "BUNDLE.KEY=JSON")]
    params: Vec<String>,
    /// Waivers file (overrides `waivers`).
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Hold SBOMs to their official schema strictly, or only warn.
    #[arg(long, value_enum)]
    sbom_schema: Option<SchemaMode>,
    /// What fails the gate: failing deny rules (and errors), or warnings too.
    #[arg(long, value_enum)]
    fail_on: Option<FailOnArg>,
    /// Warn about waivers expiring within this many days.
    #[arg(long, value_name = "DAYS")]
    waiver_warning_days: Option<i64>,
    /// Time budget per rule, in milliseconds.
    #[arg(long, value_name = "MS")]
    rule_timeout_ms: Option<u64>,
    /// Evaluation time, RFC 3339 (pinned; policies see it as context.now) [default: now].
    ///
    /// Example: --now 2026-11-23T12:00:00Z
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Deployment environment, for context.environment.
    #[arg(long)]
    environment: Option<String>,
    /// Git ref, for context.git.ref [default: $GITHUB_REF].
    #[arg(long, value_name = "REF")]
    git_ref: Option<String>,
    /// Git commit, for context.git.sha [default: $GITHUB_SHA].
    #[arg(long, value_name = "SHA")]
    git_sha: Option<String>,
    /// Pull request number, for context.git.pr [default: from $GITHUB_REF].
    #[arg(long, value_name = "N")]
    pr: Option<u64>,
    /// Run this implementation of rules written in both Rego and CEL.
    #[arg(long, value_enum)]
    engine: Option<EngineArg>,
    /// Sign the record with this PKCS#8 PEM key (overrides [record] sign-key).
    #[arg(long, value_name = "KEY")]
    sign_key: Option<PathBuf>,
    /// Write the signed record (DSSE envelope of an in-toto statement) here.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Also write a signed SLSA Verification Summary Attestation here.
    #[arg(long, value_name = "FILE")]
    vsa: Option<PathBuf>,
    /// Ledger directory (overrides [ledger] dir) [default: .shipgate/ledger beside shipgate.toml].
    #[arg(long, value_name = "DIR", conflicts_with = "no_ledger")]
    ledger: Option<PathBuf>,
    /// Do not append the record to the ledger.
    #[arg(long)]
    no_ledger: bool,
}

/// `--format` takes every format the engine has, and `--help` lists them.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = report::Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(report::Format::ALL.map(|f| f.as_str()))
        // The possible values are the names `parse` accepts.
        .map(|s| s.parse::<report::Format>().unwrap_or_default())
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaMode {
    Warn,
    Strict,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Deny,
    Warn,
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineArg {
    Rego,
    Cel,
}

#[derive(Args)]
struct TestArgs {
    /// Bundle directories.
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

mod attest;
mod dashboard;
mod init;
mod records;

/// Runs the command line on the process's arguments.
pub fn main() -> ExitCode {
    shipgate_alloc::configure();
    shipgate_engine::gate::set_return_freed(shipgate_alloc::return_freed);
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let err_color = match cli.color {
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
        _ => color,
    };
    install_hooks(err_color);
    let exit = match cli.command {
        Command::Check(args) => check(*args, color),
        Command::Test(args) => test(args, color),
        Command::Attest(args) => attest::attest(&args),
        Command::Keygen(args) => records::keygen(&args),
        Command::Verify(args) => records::verify(&args),
        Command::Ledger(cmd) => records::ledger(cmd),
        Command::Replay(args) => records::replay(&args),
        Command::Dashboard(args) => dashboard::dashboard(&args),
        Command::Init(args) => init::init(&args),
        Command::Completions(args) => init::completions(&args),
        Command::Man(args) => init::man(&args),
    };
    exit.into()
}

/// miette renders diagnostics; the engine's evaluation threads report their
/// own panics as rule errors, so the default panic message is kept for every
/// other thread only.
fn install_hooks(color: bool) {
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .width(100)
                .build(),
        )
    }));
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(WORKER_THREAD_NAME) {
            default(info);
        }
    }));
}

pub(crate) fn emit(problems: &[Problem]) {
    let mut err = std::io::stderr().lock();
    for p in problems {
        let report = miette::Report::new(p.clone());
        let _ = writeln!(err, "{report:?}");
    }
}

pub(crate) fn fail_input(problems: Problems) -> Exit {
    emit(&problems.0);
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let _ = writeln!(
        std::io::stderr(),
        "error: {errors} problem(s) in the input; nothing was evaluated"
    );
    if problems
        .iter()
        .any(|p| p.code == shipgate_engine::Code::Internal)
    {
        Exit::Internal
    } else {
        Exit::Input
    }
}

pub(crate) fn usage(message: String, help: &str) -> Exit {
    let p = Problem::error(shipgate_engine::Code::ConfigInvalid, message).with_help(help);
    emit(&[p]);
    Exit::Input
}

fn check(args: CheckArgs, color: bool) -> Exit {
    // Parsed before evaluating, so a typo costs no evaluation.
    let outputs = match outputs(&args.outputs) {
        Ok(o) => o,
        Err(exit) => return exit,
    };
    let plan = match plan(&args) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let mut loaded = match shipgate_engine::gate::load(&plan) {
        Ok(l) => l,
        Err(problems) => return fail_input(problems),
    };
    // Once the input document holds the SBOMs' components, nothing here
    // reads them again (the record and the ledger keep the files).
    let input = shipgate_engine::gate::prepare(&plan, &loaded.evidence);
    loaded.evidence.release_components();
    let report = shipgate_engine::gate::evaluate_prepared(&plan, &loaded, input);
    emit(&report.problems);
    // Report files are written before the record is kept: a run whose
    // outputs failed exits 2 without leaving a ledger entry to repeat.
    for (format, path) in &outputs {
        let rendered = report::renderer(*format, false).render(&report);
        if let Err(e) = std::fs::write(path, rendered) {
            let p = Problem::error(
                shipgate_engine::Code::Io,
                format!(
                    "cannot write the {format} report to `{}`: {e}",
                    path.display()
                ),
            )
            .with_help("check that the directory exists and is writable");
            emit(&[p]);
            return Exit::Input;
        }
    }
    if let Err(exit) = records::keep(&args, &plan, &loaded, &report) {
        return exit;
    }
    let rendered = report::renderer(args.format, color).render(&report);
    let _ = std::io::stdout().lock().write_all(rendered.as_bytes());
    let exit = match (report.verdict, report.has_errors()) {
        (_, true) => Exit::Internal,
        (Verdict::Fail, false) => Exit::Fail,
        (Verdict::Pass, false) => Exit::Pass,
    };
    // The process ends next and its memory goes with it: freeing the
    // evidence and the report one allocation at a time (the normalised SBOM,
    // thousands of findings) would only delay the exit. Neither holds
    // anything whose drop does more than free memory (files are written and
    // the record kept above).
    std::mem::forget(report);
    std::mem::forget(loaded);
    exit
}

/// `--output FORMAT=PATH` values.
fn outputs(values: &[String]) -> Result<Vec<(report::Format, PathBuf)>, Exit> {
    values
        .iter()
        .map(|v| {
            let Some((format, path)) = v.split_once('=') else {
                return Err(usage(
                    format!("`--output {v}` has no `=`"),
                    "write --output FORMAT=PATH, e.g. --output sarif=shipgate.sarif",
                ));
            };
            let format = format.parse::<report::Format>().map_err(|e| {
                usage(
                    format!("`--output {v}`: {e}"),
                    "write --output FORMAT=PATH, e.g. --output junit=shipgate.xml",
                )
            })?;
            if path.is_empty() {
                return Err(usage(
                    format!("`--output {v}` names no file"),
                    "write --output FORMAT=PATH, e.g. --output markdown=summary.md",
                ));
            }
            Ok((format, PathBuf::from(path)))
        })
        .collect()
}

fn plan(args: &CheckArgs) -> Result<Plan, Exit> {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let cfg_path = shipgate_engine::gate::config_path(&path);
    let mut config = if cfg_path.is_file() {
        let display = cfg_path.display().to_string();
        let file = SourceFile::read(
            &cfg_path,
            display,
            shipgate_engine::source::DEFAULT_MAX_FILE_BYTES,
        )
        .map_err(|p| fail_input(p.into()))?;
        Config::load(&file).map_err(|p| fail_input(p.into()))?
    } else if args.path.is_some() || (args.manifest.is_none() && args.sboms.is_empty()) {
        return Err(usage(
            format!("no configuration at `{}`", cfg_path.display()),
            "name a directory with a shipgate.toml (e.g. `shipgate check examples/edge-agent-pass`), or give --manifest/--sbom and --bundle",
        ));
    } else {
        Config::default()
    };
    if let Some(m) = &args.manifest {
        config.evidence.manifest = Some(m.clone());
    }
    if !args.sboms.is_empty() {
        config.evidence.sboms = args.sboms.clone();
    }
    if let Some(c) = &args.cost {
        config.evidence.cost = Some(c.clone());
    }
    if !args.attestations.is_empty() {
        config.evidence.attestations = args.attestations.clone();
    }
    if !args.vulns.is_empty() {
        config.evidence.vulns = args.vulns.clone();
    }
    if !args.trust_keys.is_empty() {
        config.trust.keys = args.trust_keys.clone();
    }
    if !args.bundles.is_empty() {
        config.bundles = args
            .bundles
            .iter()
            .map(|p| BundleConfig {
                path: config::clean(p),
                params: Default::default(),
            })
            .collect();
    }
    for p in &args.params {
        let Some((lhs, json)) = p.split_once('=') else {
            return Err(usage(
                format!("`--param {p}` has no `=`"),
                "write --param BUNDLE.KEY=JSON, e.g. --param sbom.min_slsa_level=3",
            ));
        };
        let Some((bundle, key)) = lhs.split_once('.') else {
            return Err(usage(
                format!("`--param {p}` names no bundle"),
                "write --param BUNDLE.KEY=JSON, where BUNDLE is the bundle directory's name",
            ));
        };
        let value: serde_json::Value = serde_json::from_str(json)
            .unwrap_or_else(|_| serde_json::Value::String(json.to_owned()));
        let Some(b) = config
            .bundles
            .iter_mut()
            .find(|b| b.path.file_name().is_some_and(|n| n == bundle))
        else {
            return Err(usage(
                format!("`--param {p}`: no configured bundle directory is named `{bundle}`"),
                "the part before the first `.` is the bundle directory's name",
            ));
        };
        b.params.insert(key.to_owned(), value);
    }
    if let Some(w) = &args.waivers {
        config.waivers = Some(w.clone());
    }
    if let Some(k) = &args.sign_key {
        config.record.sign_key = Some(k.clone());
    }
    if let Some(d) = &args.ledger {
        config.ledger.dir = d.clone();
        config.ledger.enabled = true;
    }
    if args.no_ledger {
        config.ledger.enabled = false;
    }
    if let Some(m) = args.sbom_schema {
        config.settings.sbom_schema = match m {
            SchemaMode::Warn => SbomSchemaMode::Warn,
            SchemaMode::Strict => SbomSchemaMode::Strict,
        };
    }
    if let Some(f) = args.fail_on {
        config.settings.fail_on = match f {
            FailOnArg::Deny => FailOn::Deny,
            FailOnArg::Warn => FailOn::Warn,
        };
    }
    if let Some(d) = args.waiver_warning_days {
        config.settings.waiver_warning_days = d;
    }
    if let Some(t) = args.rule_timeout_ms {
        config.settings.rule_timeout_ms = t;
    }
    if let Some(e) = &args.environment {
        config.context.environment = Some(e.clone());
    }
    if config.bundles.is_empty() {
        return Err(usage(
            "no bundles to evaluate".to_owned(),
            "add [[bundle]] path = \"policies/sbom\" to shipgate.toml, or pass --bundle",
        ));
    }
    let now = match &args.now {
        Some(t) => t.parse::<jiff::Timestamp>().map_err(|e| {
            usage(
                format!("`--now {t}` is not an RFC 3339 time: {e}"),
                "write e.g. --now 2026-11-23T12:00:00Z",
            )
        })?,
        None => jiff::Timestamp::now(),
    };
    let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let env_ref = std::env::var("GITHUB_REF").ok().filter(|s| !s.is_empty());
    let pr = args.pr.or_else(|| {
        env_ref
            .as_deref()
            .and_then(|r| r.strip_prefix("refs/pull/"))
            .and_then(|r| r.split('/').next())
            .and_then(|n| n.parse().ok())
    });
    Ok(Plan {
        config,
        now,
        git: GitContext {
            reference: args.git_ref.clone().or(env_ref),
            sha: args
                .git_sha
                .clone()
                .or_else(|| std::env::var("GITHUB_SHA").ok().filter(|s| !s.is_empty())),
            pr,
        },
        prefer: args.engine.map(|e| match e {
            EngineArg::Rego => Language::Rego,
            EngineArg::Cel => Language::Cel,
        }),
    })
}

fn test(args: TestArgs, color: bool) -> Exit {
    let mut all_ok = true;
    let mut reports = Vec::new();
    for dir in &args.bundles {
        match testing::run(dir, &dir.display().to_string()) {
            Ok(r) => {
                all_ok &= r.passed();
                reports.push(r);
            }
            Err(problems) => return fail_input(problems),
        }
    }
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&reports)
            .map(|s| s + "\n")
            .unwrap_or_default(),
        Format::Text => reports.iter().map(|r| r.render(color)).collect::<String>(),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if all_ok { Exit::Pass } else { Exit::Fail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn diagnostics_are_diagnostics() {
        fn is_diag<T: miette::Diagnostic>() {}
        is_diag::<Problem>();
    }
}
