# privacy.consent-basis (deny): an attestation that declares PII categories
# names a legal basis in `params.allowed_consent_bases`.
# Twin: rules/consent_basis.cel (same messages).
package shipgate.privacy.consent_basis

import rego.v1

import data.shipgate.privacy.lib

deny contains lib.violation(a, "/predicate/consent_basis", msg) if {
	some a in input.attestations.privacy
	lib.collects_pii(a)
	basis := lib.opt(a.predicate, "consent_basis")
	not basis in data.params.allowed_consent_bases
	msg := concat("", [
		lib.label(a), " collects personal data (", lib.ticks(a.predicate.pii_categories), ") ",
		basis_text(basis), ", which is not allowed (`allowed_consent_bases`)",
	])
}

basis_text(b) := concat("", ["on legal basis `", b, "`"]) if b != null

basis_text(b) := "without a legal basis (`consent_basis`)" if b == null
