# privacy.pii-allowed (deny): every declared PII category is on the
# allow-list; a forbidden category fails with its own message (even when it
# is also allowed). One violation per (attestation, category).
# Twin: rules/pii_allowed.cel (same messages).
package shipgate.privacy.pii_allowed

import rego.v1

import data.shipgate.privacy.lib

deny contains violation(a, c, msg) if {
	some a in input.attestations.privacy
	some c in a.predicate.pii_categories
	c in data.params.forbidden_pii_categories
	msg := concat("", [lib.label(a), " declares forbidden PII category `", c, "` (`forbidden_pii_categories`)"])
}

deny contains violation(a, c, msg) if {
	some a in input.attestations.privacy
	some c in a.predicate.pii_categories
	not c in data.params.forbidden_pii_categories
	not c in data.params.allowed_pii_categories
	msg := concat("", [lib.label(a), " declares PII category `", c, "`, which is not allowed (`allowed_pii_categories`)"])
}

violation(a, c, msg) := object.union(lib.violation(a, "/predicate/pii_categories", msg), {"category": c})
