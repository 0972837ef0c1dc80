# privacy.redaction (deny): an attestation that declares PII categories
# states that redaction is applied and names at least one method.
# Twin: rules/redaction.cel (same messages).
package shipgate.privacy.redaction

import rego.v1

import data.shipgate.privacy.lib

deny contains lib.violation(a, "/predicate/redaction/applied", msg) if {
	some a in input.attestations.privacy
	lib.collects_pii(a)
	a.predicate.redaction.applied != true
	msg := concat("", [
		lib.label(a), " collects personal data (", lib.ticks(a.predicate.pii_categories),
		") but applies no redaction (`redaction.applied` is false)",
	])
}

deny contains lib.violation(a, "/predicate/redaction", msg) if {
	some a in input.attestations.privacy
	lib.collects_pii(a)
	a.predicate.redaction.applied == true
	not names_methods(a.predicate.redaction)
	msg := concat("", [lib.label(a), " says redaction is applied but names no method (`redaction.methods`)"])
}

names_methods(r) if {
	methods := lib.opt(r, "methods")
	methods != null
	count(methods) > 0
}
