//! `shipgate attest`: sign a privacy, residency or SLSA provenance predicate
//! about release artifacts into an in-toto attestation (DSSE envelope) that
//! `check` verifies against `[trust] keys`.

use std::path::{Path, PathBuf};

use clap::Args;
use shipgate_engine::attest::{self, Subject};
use shipgate_engine::evidence::manifest::ReleaseManifest;
use shipgate_engine::sign::SigningKey;
use shipgate_engine::source::DEFAULT_MAX_FILE_BYTES;
use shipgate_engine::{Code, Problem, Problems, SourceFile};

use crate::{Exit, fail_input, usage};

#[derive(Args)]
pub(crate) struct AttestArgs {
    /// Predicate type: privacy, residency, slsa-provenance, or its URI.
    #[arg(long = "type", value_name = "TYPE")]
    predicate_type: String,
    /// The predicate (JSON object), validated against its schema before signing.
    #[arg(long, value_name = "FILE")]
    predicate: PathBuf,
    /// A subject as NAME=SHA256, repeatable.
    ///
    /// Example: --subject kws-model-3.1.0.tflite=5d41...4b3a
    #[arg(long = "subject", value_name = "NAME=SHA256")]
    subjects: Vec<String>,
    /// Take subjects from this release manifest: the artifacts named with
    /// --artifact, or every artifact with a sha256.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// An artifact of --manifest to attest, repeatable.
    #[arg(long = "artifact", value_name = "NAME", requires = "manifest")]
    artifacts: Vec<String>,
    /// PKCS#8 PEM private key that signs (Ed25519 or ECDSA P-256; `shipgate keygen`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Where to write the attestation [default: stdout].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn attest(args: &AttestArgs) -> Exit {
    match run(args) {
        Ok(()) => Exit::Pass,
        Err(e) => e,
    }
}

fn read(path: &Path) -> Result<SourceFile, Exit> {
    SourceFile::read(path, path.display().to_string(), DEFAULT_MAX_FILE_BYTES)
        .map_err(|p| fail_input(p.into()))
}

fn run(args: &AttestArgs) -> Result<(), Exit> {
    let predicate_type =
        attest::predicate_type(&args.predicate_type).map_err(|p| fail_input(p.into()))?;
    let mut problems = Problems::default();
    let mut subjects = Vec::new();
    for s in &args.subjects {
        match Subject::parse(s) {
            Ok(s) => subjects.push(s),
            Err(p) => problems.push(p),
        }
    }
    if let Some(m) = &args.manifest {
        let file = read(m)?;
        match ReleaseManifest::load(&file)
            .and_then(|manifest| attest::manifest_subjects(&file, &manifest, &args.artifacts))
        {
            Ok(s) => subjects.extend(s),
            Err(ps) => problems.extend(ps),
        }
    }
    let predicate = read(&args.predicate).and_then(|f| {
        attest::read_predicate(&f, predicate_type).map_err(|ps| {
            problems.extend(ps);
            Exit::Input
        })
    });
    let key = SigningKey::from_file(&args.key).map_err(|p| {
        problems.push(p);
        Exit::Input
    });
    if !problems.0.is_empty() {
        return Err(fail_input(problems));
    }
    let (Ok(predicate), Ok(key)) = (predicate, key) else {
        return Err(Exit::Input);
    };
    if subjects.is_empty() {
        return Err(usage(
            "an attestation needs at least one subject".to_owned(),
            "name artifacts with --subject NAME=SHA256, or with --manifest (and --artifact)",
        ));
    }
    let shown = args
        .out
        .as_ref()
        .map_or_else(|| "<stdout>".to_owned(), |p| p.display().to_string());
    let statement = attest::statement(&subjects, predicate_type, predicate);
    let text = attest::sign(&statement, &key, &shown).map_err(fail_input)?;
    match &args.out {
        None => print!("{text}"),
        Some(path) => std::fs::write(path, text.as_bytes()).map_err(|e| {
            fail_input(
                Problem::error(Code::Io, format!("cannot write `{}`: {e}", path.display()))
                    .with_help("check that the directory exists and is writable")
                    .into(),
            )
        })?,
    }
    Ok(())
}
