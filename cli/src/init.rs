//! `shipgate init`, shell completions and the man page.
//!
//! `init` writes a starting point into a repository that has none: a
//! commented `shipgate.toml`, an example waivers file and a GitHub workflow.
//! It never overwrites a file: a repository that already has one keeps it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use shipgate_engine::{Code, Problem};

use crate::{Exit, fail_input};

#[derive(Args)]
pub(crate) struct InitArgs {
    /// Repository root to write into.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to write completions for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
pub(crate) struct ManArgs {
    /// Directory for shipgate.1 and one page per subcommand.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

const CONFIG: &str = r#"# shipgate configuration: `shipgate check` reads this file.
# Paths are relative to this file. Every key can be overridden on the command
# line (`shipgate check --help`). Reference: docs/configuration.md.
#
# Top-level keys come before the first [table]: TOML puts every key after a
# [[bundle]] header into that bundle.

# Named, approved, expiring exceptions (docs/waivers.md).
waivers = "waivers.toml"

[evidence]
# The release manifest (schemas/release-manifest.schema.json).
manifest = "release.json"
# CycloneDX JSON 1.2-1.7 or SPDX 2.2/2.3 JSON.
sboms = ["sbom.cdx.json"]
# Prices and forecasts: shipgate computes egress and inference cost from them
# and the manifest (docs/cost.md).
# cost = "cost.json"
# Privacy, residency and SLSA provenance attestations (in-toto, bare or DSSE;
# `shipgate attest` makes them), verified against [trust] keys
# (docs/attestations.md).
# attestations = ["attestations/privacy.dsse.json", "attestations/residency.dsse.json"]
# OSV vulnerability feeds, downloaded beforehand: files or directories
# (docs/vulnerabilities.md).
# vulns = ["osv/"]

# Rule bundles: a directory with bundle.toml (docs/bundles.md). shipgate's own
# bundles live in its repository under policies/.
[[bundle]]
path = "policies/sbom"
# [bundle.params]                       # override the bundle's [params]
# allowed_licenses = ["MIT", "Apache-2.0"]

[[bundle]]
path = "policies/provenance"

# With cost evidence, attestations and on-device models:
# [[bundle]]
# path = "policies/cost"
# [[bundle]]
# path = "policies/privacy"
# [[bundle]]
# path = "policies/residency"
# [[bundle]]
# path = "policies/model"

[settings]
sbom-schema = "warn"        # warn | strict: official-schema violations of SBOMs as warnings or errors
fail-on = "deny"            # deny | warn: what fails the gate
waiver-warning-days = 30    # warn about waivers expiring this soon
rule-timeout-ms = 10000     # time budget of each rule

[context]
environment = "production"

[record]
# Sign every record (create a key with `shipgate keygen`); keep the key out of
# the repository, e.g. write it from a CI secret before the check.
# sign-key = "/run/secrets/shipgate.key"

[ledger]
enabled = true
dir = ".shipgate/ledger"

[trust]
# Public keys (SPKI PEM) trusted to sign attestations (`check`) and records
# (`verify`, `ledger verify`, `replay`).
# keys = ["keys/shipgate.pub"]
"#;

const WAIVERS: &str = r#"# Waivers: exceptions to one rule each, with a scope, a justification, an
# approver and an expiry date (docs/waivers.md). An expired waiver no longer
# applies; one expiring within `waiver-warning-days` warns.
#
# [[waiver]]
# id = "W-2026-001"
# rule = "sbom.license-allowed"
# scope = { purl = "pkg:npm/example@1.2.3" }   # purl, component, artifact, region (trailing * allowed), or { all = true }
# justification = "legal review LR-12 approved the dual license"
# approver = "jane.doe@example.com"
# expires = 2027-06-30
"#;

const WORKFLOW: &str = r#"# shipgate: gate every pull request and release on its evidence.
name: shipgate

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  security-events: write   # upload the SARIF to code scanning

jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Install shipgate
        run: cargo install --locked --git https://github.com/shipgate/shipgate shipgate-cli
      - name: Run the gate
        run: |
          shipgate check --no-ledger --format github \
            --output sarif=shipgate.sarif --output markdown="$GITHUB_STEP_SUMMARY"
      - name: Upload SARIF
        if: always()
        uses: github/codeql-action/upload-sarif@v4
        with:
          sarif_file: shipgate.sarif
"#;

pub(crate) fn init(args: &InitArgs) -> Exit {
    let files: [(&str, &str); 3] = [
        ("shipgate.toml", CONFIG),
        ("waivers.toml", WAIVERS),
        (".github/workflows/shipgate.yml", WORKFLOW),
    ];
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| args.dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return fail_input(
            Problem::error(
                Code::ConfigInvalid,
                format!("not overwriting {}", existing.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")),
            )
            .with_help("`shipgate init` sets up a repository that has no shipgate files yet; edit the existing ones instead")
            .into(),
        );
    }
    for (rel, text) in files {
        let path = args.dir.join(rel);
        if let Err(e) = write_new(&path, text) {
            return fail_input(
                Problem::error(Code::Io, format!("cannot write `{}`: {e}", path.display())).into(),
            );
        }
        println!("wrote {}", path.display());
    }
    println!(
        "next: point [evidence] at your release manifest and SBOMs, then run `shipgate check`"
    );
    Exit::Pass
}

fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

pub(crate) fn completions(args: &CompletionsArgs) -> Exit {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "shipgate", &mut std::io::stdout());
    Exit::Pass
}

pub(crate) fn man(args: &ManArgs) -> Exit {
    let cmd = crate::Cli::command();
    if let Err(e) =
        std::fs::create_dir_all(&args.out).and_then(|()| clap_mangen::generate_to(cmd, &args.out))
    {
        return fail_input(
            Problem::error(
                Code::Io,
                format!("cannot write man pages to `{}`: {e}", args.out.display()),
            )
            .into(),
        );
    }
    println!("wrote man pages to {}", args.out.display());
    Exit::Pass
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_configuration_is_valid() {
        let file = shipgate_engine::SourceFile::from_text("shipgate.toml", CONFIG);
        let config = shipgate_engine::Config::load(&file).unwrap();
        assert_eq!(config.bundles.len(), 2);
        assert_eq!(config.waivers.as_deref(), Some(Path::new("waivers.toml")));
    }
}
