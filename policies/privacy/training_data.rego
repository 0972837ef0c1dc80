# privacy.training-data (deny): every model artifact of the release is the
# subject of a privacy attestation, an attestation about a model lists its
# training data, and every listed dataset (in any attestation) has an allowed
# license and, when it contains personal data, an allowed legal basis.
# Twin: rules/training_data.cel (same messages).
package shipgate.privacy.training_data

import rego.v1

import data.shipgate.privacy.lib

deny contains {"msg": msg, "artifact": m} if {
	some m in lib.model_names
	not attested(m)
	msg := concat("", ["model `", m, "` is not the subject of any privacy attestation: its training data is unknown"])
}

deny contains object.union(lib.violation(a, "/predicate", msg), {"artifact": m}) if {
	some a in input.attestations.privacy
	some m in lib.models(a)
	count(lib.training(a)) == 0
	msg := concat("", [lib.label(a), " is about model `", m, "` but lists no training data (`training_data`)"])
}

deny contains dataset_violation(a, d, msg) if {
	some a in input.attestations.privacy
	some d in lib.training(a)
	license := lib.opt(d, "license")
	not license_allowed(license)
	msg := concat("", [lib.label(a), ": dataset `", d.dataset, "` ", license_text(license)])
}

deny contains dataset_violation(a, d, msg) if {
	some a in input.attestations.privacy
	some d in lib.training(a)
	d.contains_pii == true
	basis := lib.opt(d, "consent_basis")
	not basis in data.params.allowed_consent_bases
	msg := concat("", [lib.label(a), ": dataset `", d.dataset, "` contains personal data ", basis_text(basis)])
}

attested(m) if {
	some a in input.attestations.privacy
	m in a.artifacts
}

# The dataset name is also given as `component`, so a waiver can name it.
dataset_violation(a, d, msg) := object.union(
	lib.violation(a, "/predicate/training_data", msg),
	{"dataset": d.dataset, "component": d.dataset},
)

license_allowed(l) if l in data.params.allowed_dataset_licenses

license_allowed(l) if {
	l != null
	some entry in data.params.allowed_dataset_licenses
	endswith(entry, "*")
	startswith(l, trim_suffix(entry, "*"))
}

license_text(l) := concat("", ["has license `", l, "`, which is not allowed (`allowed_dataset_licenses`)"]) if l != null

license_text(l) := "states no license (`license`)" if l == null

basis_text(b) := concat("", ["on legal basis `", b, "`, which is not allowed (`allowed_consent_bases`)"]) if b != null

basis_text(b) := "but states no legal basis (`consent_basis`)" if b == null
