//! The commands around records: keeping them after a check, keygen, verify,
//! ledger list/verify, replay. The work is in the engine; this module parses,
//! prints and picks exit codes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;
use shipgate_engine::gate::{Loaded, Plan, Report};
use shipgate_engine::ledger::{self, Ledger, SignatureStatus};
use shipgate_engine::record::{self, FileRef, Invocation, Signed};
use shipgate_engine::sign::{Algorithm, Envelope, SigningKey, VerifyingKey};
use shipgate_engine::{Code, Config, Problem, SourceFile};

use crate::{CheckArgs, Exit, emit, fail_input, usage};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum AlgArg {
    Ed25519,
    P256,
}

#[derive(Args)]
pub(crate) struct KeygenArgs {
    /// Signature algorithm.
    #[arg(long, value_enum, default_value_t = AlgArg::Ed25519)]
    alg: AlgArg,
    /// Directory for shipgate.key (private, mode 0600) and shipgate.pub.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// A signed record or VSA (DSSE envelope JSON).
    record: PathBuf,
    /// Trusted public key (SPKI PEM), repeatable. The envelope's keyid is only
    /// a hint: every signature is tried against every key.
    #[arg(long = "key", value_name = "PUB", required = true)]
    keys: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::Format::Text)]
    format: crate::Format,
}

#[derive(Subcommand)]
pub(crate) enum LedgerCommand {
    /// List the records, oldest first.
    List(LedgerArgs),
    /// Check the hash chain, every stored object and every record's signature.
    Verify(LedgerVerifyArgs),
}

#[derive(Args)]
pub(crate) struct LedgerArgs {
    /// Ledger directory [default: [ledger] dir of ./shipgate.toml, else .shipgate/ledger].
    #[arg(long, value_name = "DIR")]
    ledger: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::Format::Text)]
    format: crate::Format,
}

#[derive(Args)]
pub(crate) struct LedgerVerifyArgs {
    #[command(flatten)]
    common: LedgerArgs,
    /// Trusted public key (SPKI PEM), repeatable [default: [trust] keys of ./shipgate.toml].
    #[arg(long = "key", value_name = "PUB")]
    keys: Vec<PathBuf>,
    /// Fail when a record is unsigned (by default unsigned local records only warn).
    #[arg(long)]
    require_signed: bool,
}

#[derive(Args)]
pub(crate) struct ReplayArgs {
    /// A signed record file to find in the ledger and replay.
    record: Option<PathBuf>,
    /// Replay the ledger entry with this number.
    #[arg(long, conflicts_with_all = ["record", "all"])]
    seq: Option<u64>,
    /// Replay every entry of the ledger.
    #[arg(long, conflicts_with = "record")]
    all: bool,
    /// Ledger directory [default: [ledger] dir of ./shipgate.toml, else .shipgate/ledger].
    #[arg(long, value_name = "DIR")]
    ledger: Option<PathBuf>,
    /// Trusted public key: signed records are verified before they are replayed.
    #[arg(long = "key", value_name = "PUB")]
    keys: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::Format::Text)]
    format: crate::Format,
}

/// After a check: sign, write the record and VSA, append to the ledger.
pub(crate) fn keep(
    args: &CheckArgs,
    plan: &Plan,
    loaded: &Loaded,
    report: &Report,
) -> Result<(), Exit> {
    let cfg = &plan.config;
    let key = match &cfg.record.sign_key {
        Some(p) => Some(SigningKey::from_file(p).map_err(|p| fail_input(p.into()))?),
        None => None,
    };
    if key.is_none() && (args.record.is_some() || args.vsa.is_some()) {
        return Err(usage(
            "--record and --vsa write signed files, and no signing key is configured".to_owned(),
            "pass --sign-key KEY (create one with `shipgate keygen`) or set [record] sign-key in shipgate.toml",
        ));
    }
    if args.record.is_none() && args.vsa.is_none() && !cfg.ledger.enabled {
        // Nothing keeps the record: do not build it.
        return Ok(());
    }
    let waivers = loaded.waivers_file.as_ref().map(|f| FileRef {
        path: f.display().to_owned(),
        sha256: f.sha256().to_owned(),
    });
    let invocation = Invocation::of(plan, waivers, &loaded.trusted);
    // Written from the report, not from a `Value` of it (record::payload).
    let signed = record::payload(report, &invocation)
        .and_then(|payload| Signed::of_payload(payload, key.as_ref()))
        .map_err(|p| internal(&p))?;
    let vsa = match (&args.vsa, &key) {
        (Some(_), Some(k)) => {
            let level = loaded
                .evidence
                .manifest
                .as_ref()
                .and_then(|(_, m)| m.provenance.as_ref())
                .map(|p| p.slsa_level);
            Some(Signed::new(record::vsa(report, level), Some(k)).map_err(|p| internal(&p))?)
        }
        _ => None,
    };
    if let Some(path) = &args.record {
        write_file(path, &signed)?;
    }
    if let (Some(path), Some(v)) = (&args.vsa, &vsa) {
        write_file(path, v)?;
    }
    if cfg.ledger.enabled {
        let l = Ledger::open(&cfg.ledger.dir).map_err(|p| fail_input(p.into()))?;
        ledger::commit(&l, loaded, report, &signed, vsa.as_ref()).map_err(|p| internal(&p))?;
    }
    Ok(())
}

fn internal(p: &Problem) -> Exit {
    emit(std::slice::from_ref(p));
    Exit::Internal
}

/// Writes `signed`'s text to `path`, a piece at a time.
fn write_file(path: &Path, signed: &Signed) -> Result<(), Exit> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
        signed.write_to(&mut out)?;
        out.flush()
    });
    written.map_err(|e| {
        fail_input(
            Problem::error(Code::Io, format!("cannot write `{}`: {e}", path.display()))
                .with_help("check that the directory exists and is writable")
                .into(),
        )
    })
}

pub(crate) fn keygen(args: &KeygenArgs) -> Exit {
    let alg = match args.alg {
        AlgArg::Ed25519 => Algorithm::Ed25519,
        AlgArg::P256 => Algorithm::EcdsaP256,
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail_input(
            Problem::error(
                Code::Io,
                format!("cannot create `{}`: {e}", args.out.display()),
            )
            .into(),
        );
    }
    match shipgate_engine::sign::write_keypair(&args.out, alg) {
        Ok((private, public)) => {
            let keyid = VerifyingKey::from_file(&public)
                .map(|k| k.keyid())
                .unwrap_or_default();
            println!("private key: {} (keep it secret)", private.display());
            println!("public key:  {}", public.display());
            println!("key id:      {keyid}");
            Exit::Pass
        }
        Err(p) => fail_input(p.into()),
    }
}

fn trusted(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>, Exit> {
    paths
        .iter()
        .map(|p| VerifyingKey::from_file(p).map_err(|p| fail_input(p.into())))
        .collect()
}

pub(crate) fn verify(args: &VerifyArgs) -> Exit {
    let keys = match trusted(&args.keys) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let envelope = match Envelope::from_file(&args.record) {
        Ok(e) => e,
        Err(p) => return fail_input(p.into()),
    };
    let verified = match envelope.verify(&keys) {
        Ok(v) => v,
        Err(p) => {
            emit(&[p]);
            let _ = writeln!(
                std::io::stderr(),
                "error: `{}` does not verify",
                args.record.display()
            );
            return Exit::Fail;
        }
    };
    let statement = match record::parse_statement(&verified.payload) {
        Ok(s) => s,
        Err(p) => return fail_input(p.into()),
    };
    match args.format {
        crate::Format::Json => {
            let out = serde_json::json!({ "verified": true, "keyids": verified.keyids, "statement": statement });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        crate::Format::Text => print!("{}", describe(&statement, &verified.keyids)),
    }
    Exit::Pass
}

/// What a statement certifies, for people.
fn describe(statement: &Value, keyids: &[String]) -> String {
    let mut out = String::new();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("?").to_owned();
    out.push_str(&format!("verified: signed by {}\n", keyids.join(", ")));
    out.push_str(&format!(
        "type:     {}\n",
        s(statement.get("predicateType"))
    ));
    out.push_str("subject:\n");
    for sub in statement
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            "  {}  sha256:{}\n",
            s(sub.get("name")),
            s(sub.pointer("/digest/sha256"))
        ));
    }
    let p = statement.get("predicate").unwrap_or(&Value::Null);
    if let Some(result) = p.get("verificationResult") {
        out.push_str(&format!("result:   {}\n", result.as_str().unwrap_or("?")));
        out.push_str(&format!(
            "policy:   {} sha256:{}\n",
            s(p.pointer("/policy/uri")),
            s(p.pointer("/policy/digest/sha256"))
        ));
        out.push_str(&format!("time:     {}\n", s(p.get("timeVerified"))));
        return out;
    }
    if let Some(r) = p.get("release").filter(|r| !r.is_null()) {
        out.push_str(&format!(
            "release:  {} {}\n",
            s(r.get("name")),
            s(r.get("version"))
        ));
    }
    out.push_str(&format!("time:     {}\n", s(p.get("time_verified"))));
    out.push_str(&format!("verdict:  {}\n", s(p.get("verdict"))));
    out.push_str("bundles:\n");
    for b in p
        .get("bundles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            "  {} {}  sha256:{}\n",
            s(b.get("name")),
            s(b.get("version")),
            s(b.pointer("/digest/sha256"))
        ));
    }
    let failed: Vec<String> = p
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            matches!(
                r.get("status").and_then(Value::as_str),
                Some("fail" | "error")
            )
        })
        .map(|r| s(r.get("id")))
        .collect();
    if !failed.is_empty() {
        out.push_str(&format!("failed:   {}\n", failed.join(", ")));
    }
    out
}

/// The ledger directory and trusted keys: flags first, then ./shipgate.toml.
fn ledger_dir(flag: Option<&PathBuf>) -> PathBuf {
    if let Some(d) = flag {
        return d.clone();
    }
    config_here().map_or_else(
        || PathBuf::from(shipgate_engine::ledger::DEFAULT_DIR),
        |c| c.ledger.dir,
    )
}

fn config_here() -> Option<Config> {
    let path = Path::new(shipgate_engine::config::FILE_NAME);
    let file = SourceFile::read(path, shipgate_engine::config::FILE_NAME, 1 << 20).ok()?;
    Config::load(&file).ok()
}

fn trusted_or_configured(flags: &[PathBuf]) -> Result<Vec<VerifyingKey>, Exit> {
    if flags.is_empty() {
        trusted(&config_here().map(|c| c.trust.keys).unwrap_or_default())
    } else {
        trusted(flags)
    }
}

pub(crate) fn ledger(cmd: LedgerCommand) -> Exit {
    match cmd {
        LedgerCommand::List(args) => {
            let l = match Ledger::open_existing(&ledger_dir(args.ledger.as_ref())) {
                Ok(l) => l,
                Err(p) => return fail_input(p.into()),
            };
            let entries = match l.entries() {
                Ok(e) => e,
                Err(p) => return fail_input(p.into()),
            };
            match args.format {
                crate::Format::Json => {
                    let list: Vec<Value> = entries
                        .iter()
                        .map(|(e, sha)| serde_json::json!({ "entry": e, "entry_sha256": sha }))
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&list).unwrap_or_default()
                    );
                }
                crate::Format::Text => {
                    for (e, _) in &entries {
                        let release = e.release.as_ref().map_or_else(
                            || "-".to_owned(),
                            |r| format!("{} {}", r.name, r.version),
                        );
                        println!(
                            "{:>6}  {}  {:<4}  {release}  record sha256:{}",
                            e.seq,
                            e.time,
                            e.verdict,
                            e.record.get(..16).unwrap_or_default()
                        );
                    }
                    println!("{} record(s) in {}", entries.len(), l.display());
                }
            }
            Exit::Pass
        }
        LedgerCommand::Verify(args) => {
            let l = match Ledger::open_existing(&ledger_dir(args.common.ledger.as_ref())) {
                Ok(l) => l,
                Err(p) => return fail_input(p.into()),
            };
            let keys = match trusted_or_configured(&args.keys) {
                Ok(k) => k,
                Err(e) => return e,
            };
            let audit = match ledger::audit(&l, &keys) {
                Ok(a) => a,
                Err(p) => return fail_input(p.into()),
            };
            let ok = audit.ok(args.require_signed);
            match args.common.format {
                crate::Format::Json => {
                    println!("{}", serde_json::json!({ "ok": ok, "audit": audit }))
                }
                crate::Format::Text => {
                    for f in &audit.findings {
                        println!("BROKEN  {}", f.message);
                    }
                    let mut unsigned = 0;
                    for e in &audit.entries {
                        match &e.signature {
                            SignatureStatus::Verified { .. } => {}
                            SignatureStatus::Unsigned => unsigned += 1,
                            SignatureStatus::Invalid { reason } => {
                                println!("BAD SIG entry {}: {reason}", e.entry.seq)
                            }
                        }
                    }
                    let signed = audit
                        .entries
                        .iter()
                        .filter(|e| matches!(e.signature, SignatureStatus::Verified { .. }))
                        .count();
                    println!(
                        "{}: {} entries, {signed} verified by trusted keys, {unsigned} unsigned, {} chain/object problem(s)",
                        if ok { "ledger OK" } else { "ledger NOT OK" },
                        audit.entries.len(),
                        audit.findings.len()
                    );
                    if unsigned > 0 && !args.require_signed {
                        println!(
                            "note: unsigned records are accepted; pass --require-signed to refuse them"
                        );
                    }
                }
            }
            if ok { Exit::Pass } else { Exit::Fail }
        }
    }
}

pub(crate) fn replay(args: &ReplayArgs) -> Exit {
    let l = match Ledger::open_existing(&ledger_dir(args.ledger.as_ref())) {
        Ok(l) => l,
        Err(p) => return fail_input(p.into()),
    };
    let keys = match trusted_or_configured(&args.keys) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let entries = match l.entries() {
        Ok(e) => e,
        Err(p) => return fail_input(p.into()),
    };
    let chosen: Vec<_> = if args.all {
        entries
    } else if let Some(seq) = args.seq {
        entries.into_iter().filter(|(e, _)| e.seq == seq).collect()
    } else if let Some(path) = &args.record {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                return fail_input(
                    Problem::error(Code::Io, format!("cannot read `{}`: {e}", path.display()))
                        .into(),
                );
            }
        };
        let sha = shipgate_engine::ledger::sha256_hex(&bytes);
        entries
            .into_iter()
            .filter(|(e, _)| e.record == sha)
            .collect()
    } else {
        return usage(
            "nothing to replay".to_owned(),
            "name a record file, or pass --seq N or --all",
        );
    };
    if chosen.is_empty() {
        return usage(
            format!("no such record in ledger `{}`", l.display()),
            "`shipgate ledger list` shows the entries; a record file must be byte-identical to the one the ledger stored",
        );
    }
    let tty = std::io::stderr().is_terminal();
    let total = chosen.len();
    let mut outcomes = Vec::with_capacity(total);
    let mut all_ok = true;
    for (i, (entry, _)) in chosen.iter().enumerate() {
        if tty && total > 1 {
            let _ = write!(
                std::io::stderr(),
                "\rreplaying {}/{total} (entry {})",
                i + 1,
                entry.seq
            );
        }
        let status = ledger::signature_of(&l, entry, &keys);
        // Without trusted keys a replay checks the decision, not who signed it.
        if let (SignatureStatus::Invalid { reason }, false) = (&status, keys.is_empty()) {
            all_ok = false;
            outcomes.push(serde_json::json!({ "seq": entry.seq, "reproduced": false, "differences": [format!("signature: {reason}")] }));
            continue;
        }
        let statement = l
            .get_object(&entry.record)
            .and_then(|b| {
                serde_json::from_slice::<Envelope>(&b)
                    .map_err(|e| Problem::error(Code::EnvelopeInvalid, e.to_string()))
            })
            .and_then(|env| record::parse_statement(&env.payload));
        let outcome = match statement {
            Ok(st) => shipgate_engine::replay::replay(&l, entry, &st),
            Err(p) => Err(p.into()),
        };
        match outcome {
            Ok(o) => {
                all_ok &= o.reproduced;
                outcomes.push(serde_json::to_value(&o).unwrap_or(Value::Null));
            }
            Err(problems) => {
                all_ok = false;
                emit(&problems.0);
                outcomes.push(serde_json::json!({ "seq": entry.seq, "reproduced": false, "differences": problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>() }));
            }
        }
    }
    if tty && total > 1 {
        let _ = writeln!(std::io::stderr());
    }
    match args.format {
        crate::Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&outcomes).unwrap_or_default()
        ),
        crate::Format::Text => {
            for o in &outcomes {
                let seq = o.get("seq").and_then(Value::as_u64).unwrap_or(0);
                if o.get("reproduced").and_then(Value::as_bool) == Some(true) {
                    println!("entry {seq}: reproduced");
                } else {
                    println!("entry {seq}: DIFFERS");
                    for d in o
                        .get("differences")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        println!("  {}", d.as_str().unwrap_or_default());
                    }
                }
            }
            let reproduced = outcomes
                .iter()
                .filter(|o| o.get("reproduced").and_then(Value::as_bool) == Some(true))
                .count();
            println!("{reproduced} of {total} reproduced");
        }
    }
    if all_ok { Exit::Pass } else { Exit::Fail }
}
