# Helpers shared by the rules of the privacy bundle.
#
# Every rule iterates `input.attestations.privacy[_]` and reports one object
# per violation: `msg`, the attestation's `file` and a JSON `pointer` into its
# in-toto Statement (for a DSSE envelope, into the decoded payload), so the
# gate can show where the claim is. Rules about a model add `artifact` (the
# manifest artifact name), which waivers can match.
#
# The CEL twins in rules/*.cel build the same messages character for
# character: change one, change the other (`shipgate test` compares them).
# Numbers go into messages only (sprintf `%v` in Rego and `string()` in CEL
# print them alike); details hold strings, so the engines cannot disagree on
# `2` versus `2.0`.
package shipgate.privacy.lib

import rego.v1

# The violation object for attestation `a`.
violation(a, pointer, msg) := {"msg": msg, "file": a.file, "pointer": pointer}

# "privacy attestation `FILE`", the start of every message.
label(a) := concat("", ["privacy attestation `", a.file, "`"])

# `x`, `y`: a list for messages.
ticks(xs) := concat("", ["`", concat("`, `", xs), "`"])

# Whether the attestation declares that personal data is collected.
collects_pii(a) if count(a.predicate.pii_categories) > 0

# Names of the release's `model` artifacts.
model_names contains m.name if {
	some m in input.release.artifacts
	m.kind == "model"
}

# The model artifacts of the release that attestation `a` is about, in the
# order of `a.artifacts`.
models(a) := [n | some n in a.artifacts; n in model_names]

# The value of optional `key` in `obj`, or null.
opt(obj, key) := object.get(obj, key, null)

# The attestation's training datasets ([] when it lists none).
training(a) := t if {
	t := opt(a.predicate, "training_data")
	t != null
}

training(a) := [] if opt(a.predicate, "training_data") == null

# The names of the training datasets that contain personal data.
pii_datasets(a) := [d.dataset | some d in training(a); d.contains_pii == true]
