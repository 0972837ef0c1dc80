//! The policy input document of the example releases matches its schema, and
//! docs/examples/policy-input.json shows the real thing (regenerate with
//! `SHIPGATE_UPDATE_DOCS=1 cargo test -p shipgate-engine --test policy_input`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use shipgate_engine::SourceFile;
use shipgate_engine::config::Config;
use shipgate_engine::gate::{self, GitContext, Plan};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn load(example: &str) -> (Plan, gate::Loaded) {
    let cfg_path = root().join(example).join("shipgate.toml");
    let file = SourceFile::read(&cfg_path, example, 1 << 20).unwrap();
    let config = Config::load(&file).unwrap();
    let plan = Plan {
        config,
        now: "2026-11-23T00:00:00Z".parse().unwrap(),
        git: GitContext {
            reference: Some("refs/heads/main".into()),
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            pr: None,
        },
        prefer: None,
    };
    let loaded = gate::load(&plan).unwrap_or_else(|e| panic!("{example}: {e:?}"));
    (plan, loaded)
}

fn input_of(example: &str) -> serde_json::Value {
    let (plan, loaded) = load(example);
    gate::input_document(&loaded.evidence, plan.now, &plan.git, Some("production")).to_value()
}

const EXAMPLES: [&str; 4] = [
    "examples/edge-agent-pass",
    "examples/edge-agent-fail",
    "examples/voice-assistant-pass",
    "examples/voice-assistant-fail",
];

#[test]
fn the_digest_made_beside_the_document_is_the_documents() {
    use sha2::{Digest, Sha256};
    use shipgate_engine::backend::PreparedInput;
    for example in EXAMPLES {
        let (plan, loaded) = load(example);
        let doc = gate::input_document(&loaded.evidence, plan.now, &plan.git, Some("production"));
        let text = serde_json::to_string(&doc).unwrap();
        let want = hex::encode(Sha256::digest(text.as_bytes()));
        let built = PreparedInput::build(&doc);
        assert_eq!(
            built.json(),
            text,
            "{example}: the document writes the text back"
        );
        assert_eq!(built.digest(), want, "{example}");
        assert_eq!(
            PreparedInput::build_with_digest(&doc).digest(),
            want,
            "{example}"
        );
    }
}

#[test]
fn example_inputs_match_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/policy-input.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for example in EXAMPLES {
        let input = input_of(example);
        let errors: Vec<String> = validator
            .iter_errors(&input)
            .take(10)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:#?}");
    }
}

#[test]
fn documented_example_is_current() {
    let mut input = input_of("examples/voice-assistant-fail");
    // Paths are relative to the repository root when run from the CLI there.
    let text = serde_json::to_string_pretty(&input).unwrap().replace(
        &format!("{}/", root().canonicalize().unwrap().display()),
        "",
    );
    input = serde_json::from_str(&text).unwrap();
    let text = serde_json::to_string_pretty(&input).unwrap() + "\n";
    let doc = root().join("docs/examples/policy-input.json");
    if std::env::var_os("SHIPGATE_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(doc.parent().unwrap()).unwrap();
        std::fs::write(&doc, &text).unwrap();
    }
    let current = std::fs::read_to_string(&doc).unwrap_or_default();
    assert!(
        current == text,
        "docs/examples/policy-input.json is stale: rerun with SHIPGATE_UPDATE_DOCS=1"
    );
}
