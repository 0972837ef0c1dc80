//! The release manifest: shipgate's own format describing what ships.
//!
//! Schema: `schemas/release-manifest.schema.json`. The file is validated
//! against the schema first (every violation reported with its position), then
//! read into these strict structs; policies see them under `release`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diag::{Code, Problem, Problems};
use crate::json;
use crate::schema::{self, SchemaId};
use crate::source::SourceFile;

/// The release manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseManifest {
    /// The schema the file names for editors; not part of the release.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub json_schema: Option<String>,
    /// Format version; `1`.
    pub schema_version: u32,
    /// Product name.
    pub name: String,
    /// Version being released.
    pub version: String,
    /// Release channel (`stable`, `beta`, ...).
    #[serde(default)]
    pub channel: Option<String>,
    /// Why it ships: `routine`, `security` or `critical`.
    #[serde(default = "default_urgency")]
    pub urgency: String,
    /// What ships.
    pub artifacts: Vec<Artifact>,
    /// How it was built.
    #[serde(default)]
    pub provenance: Option<Provenance>,
    /// Where it goes.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// How it rolls out.
    #[serde(default)]
    pub rollout: Vec<RolloutStage>,
    /// Budget tags: name → amount (decimal string or number).
    #[serde(default)]
    pub budget: BTreeMap<String, Value>,
}

fn default_urgency() -> String {
    "routine".to_owned()
}

/// One shipped file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// File name, unique in the release.
    pub name: String,
    /// `binary`, `firmware`, `model` or `container`.
    pub kind: String,
    /// Lowercase hex sha256 of the file.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Where it is published.
    #[serde(default)]
    pub uri: Option<String>,
    /// Detached signatures over the artifact.
    #[serde(default)]
    pub signatures: Vec<Signature>,
    /// Delta patches from earlier versions.
    #[serde(default)]
    pub deltas: Vec<Delta>,
    /// Device classes that install this artifact; empty means every target.
    #[serde(default)]
    pub device_classes: Vec<String>,
    /// What an on-device model artifact is and how it runs.
    #[serde(default)]
    pub model: Option<Model>,
}

/// An on-device model: what it is, what runs it, how it performs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Serialization format (`tflite`, `onnx`, `gguf`, `coreml`, `executorch`).
    pub format: String,
    /// sha256 over the model bundle (weights, config, tokenizer) as the
    /// model registry fingerprints it; lowercase hex.
    pub fingerprint: String,
    /// The runtime it needs.
    pub runtime: ModelRuntime,
    /// Parameter count.
    #[serde(default)]
    pub parameters: Option<u64>,
    /// Quantization (`int8`, `fp16`, ...).
    #[serde(default)]
    pub quantization: Option<String>,
    /// Measured inference profile per device class.
    #[serde(default)]
    pub profiles: Vec<InferenceProfile>,
}

/// A runtime and the lowest version that runs the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRuntime {
    /// Runtime name (`tflite`, `onnxruntime`, `llama.cpp`, ...).
    pub name: String,
    /// Lowest runtime version the model runs on (dotted numbers).
    pub min_version: String,
}

/// How the model performs on one device class (measured on the device).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceProfile {
    /// Device class measured.
    pub device_class: String,
    /// 95th percentile latency of one inference, in milliseconds.
    pub latency_ms_p95: f64,
    /// Peak resident memory while inferring, in MiB.
    pub peak_memory_mib: f64,
}

/// A detached signature entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Key identifier (a hint only).
    pub keyid: String,
    /// `ed25519`, `ecdsa-p256-sha256`, `rsa-pss-sha256`, `sigstore-bundle`.
    pub algorithm: String,
    /// The signature (base64) or a reference to a signature bundle.
    #[serde(default)]
    pub signature: Option<String>,
    /// Where a signature bundle is stored.
    #[serde(default)]
    pub uri: Option<String>,
}

/// A delta patch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delta {
    /// Version the patch applies to.
    pub from_version: String,
    /// Patch size in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the patch.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// How the release was built.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Builder identity (SLSA `builder.id`).
    pub builder: String,
    /// Source repository URI.
    #[serde(default)]
    pub source_repo: Option<String>,
    /// Source commit (hex).
    #[serde(default)]
    pub source_commit: Option<String>,
    /// SLSA build level claimed (0-4).
    #[serde(default)]
    pub slsa_level: u8,
    /// Whether the build is reproducible.
    #[serde(default)]
    pub reproducible: bool,
}

/// A device class and the regions it ships to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Device class name.
    pub device_class: String,
    /// Region codes.
    pub regions: Vec<String>,
    /// Model runtimes installed on the device class, with their versions.
    #[serde(default)]
    pub runtimes: Vec<InstalledRuntime>,
}

/// A runtime installed on a device class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledRuntime {
    /// Runtime name.
    pub name: String,
    /// Installed version (dotted numbers).
    pub version: String,
}

/// One stage of the rollout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutStage {
    /// Stage name.
    pub stage: String,
    /// Share of the fleet, in percent.
    pub percent: f64,
    /// Delivery tier (`standard`, `fast`, ...).
    #[serde(default = "default_tier")]
    pub tier: String,
    /// Regions, when the stage is limited to some.
    #[serde(default)]
    pub regions: Vec<String>,
}

fn default_tier() -> String {
    "standard".to_owned()
}

impl ReleaseManifest {
    /// Reads and validates a manifest.
    pub fn load(file: &SourceFile) -> Result<ReleaseManifest, Problems> {
        let manifest: ReleaseManifest =
            schema::read_typed(file, SchemaId::ReleaseManifest, "release manifest")?;
        manifest.check_unique_names(file)?;
        Ok(manifest)
    }

    fn check_unique_names(&self, file: &SourceFile) -> Result<(), Problems> {
        let mut seen = BTreeMap::new();
        let mut problems = Problems::default();
        for (i, a) in self.artifacts.iter().enumerate() {
            if let Some(first) = seen.insert(a.name.as_str(), i) {
                problems.push(
                    Problem::error(
                        Code::SchemaViolation,
                        format!("artifact name `{}` appears twice", a.name),
                    )
                    .with_help(format!(
                        "artifact names identify artifacts in results and waivers; the first is at `/artifacts/{first}`"
                    ))
                    .at(json::location_of(file, &format!("/artifacts/{i}/name"))),
                );
            }
        }
        let mut classes = BTreeMap::new();
        for (i, t) in self.targets.iter().enumerate() {
            if let Some(first) = classes.insert(t.device_class.as_str(), i) {
                problems.push(
                    Problem::error(
                        Code::SchemaViolation,
                        format!("device class `{}` is targeted twice", t.device_class),
                    )
                    .with_help(format!(
                        "list each device class once, with all its regions and runtimes; the first is at `/targets/{first}`"
                    ))
                    .at(json::location_of(file, &format!("/targets/{i}/device_class"))),
                );
            }
        }
        problems.into_result().map(drop)
    }

    /// The JSON pointer of the artifact named `name`.
    pub fn artifact_pointer(&self, name: &str) -> Option<String> {
        self.artifacts
            .iter()
            .position(|a| a.name == name)
            .map(|i| format!("/artifacts/{i}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "schema_version": 1,
  "name": "edge-agent",
  "version": "2.4.0",
  "artifacts": [
    {"name": "a.bin", "kind": "binary", "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "size": 10}
  ]
}"#;

    #[test]
    fn loads_a_minimal_manifest() {
        let m = ReleaseManifest::load(&SourceFile::from_text("r.json", GOOD)).unwrap();
        assert_eq!(m.urgency, "routine");
        assert_eq!(m.artifact_pointer("a.bin").as_deref(), Some("/artifacts/0"));
    }

    #[test]
    fn reports_every_violation_with_position() {
        let bad = GOOD
            .replace("\"binary\"", "\"tarball\"")
            .replace("\"size\": 10", "\"size\": -1");
        let err = ReleaseManifest::load(&SourceFile::from_text("r.json", &bad)).unwrap_err();
        let pointers: Vec<_> = err
            .iter()
            .filter_map(|p| p.location.as_ref()?.pointer.clone())
            .collect();
        assert!(
            pointers.contains(&"/artifacts/0/kind".to_string()),
            "{pointers:?}"
        );
        assert!(
            pointers.contains(&"/artifacts/0/size".to_string()),
            "{pointers:?}"
        );
    }

    #[test]
    fn rejects_a_device_class_targeted_twice() {
        let dup = GOOD.replace(
            "\"artifacts\"",
            "\"targets\": [{\"device_class\": \"cam\", \"regions\": [\"eu\"]}, {\"device_class\": \"cam\", \"regions\": [\"us\"]}],\n  \"artifacts\"",
        );
        let err = ReleaseManifest::load(&SourceFile::from_text("r.json", &dup)).unwrap_err();
        assert!(err.0[0].message.contains("targeted twice"), "{err:?}");
        let at = err.0[0].location.as_ref().unwrap();
        assert_eq!(at.pointer.as_deref(), Some("/targets/1/device_class"));
    }

    #[test]
    fn rejects_duplicate_artifact_names() {
        let dup = GOOD.replace(
            "\"size\": 10}",
            "\"size\": 10}, {\"name\": \"a.bin\", \"kind\": \"model\", \"size\": 1}",
        );
        let err = ReleaseManifest::load(&SourceFile::from_text("r.json", &dup)).unwrap_err();
        assert!(err.0[0].message.contains("appears twice"));
    }
}
