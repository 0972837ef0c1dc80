# privacy.attestation-verified (deny): every privacy attestation verifies
# with a trusted key, and its subjects are artifacts of this release.
# Twin: rules/attestation_verified.cel (same messages).
package shipgate.privacy.attestation_verified

import rego.v1

import data.shipgate.privacy.lib

deny contains lib.violation(a, "", msg) if {
	some a in input.attestations.privacy
	not verified(a)
	msg := concat("", [lib.label(a), " ", reason(a.status), " (status `", a.status, "`)"])
}

deny contains lib.violation(a, "/subject", msg) if {
	some a in input.attestations.privacy
	a.subject_matches != true
	msg := concat("", [lib.label(a), " ", subject_problem(a)])
}

verified(a) if {
	a.status == "verified"
	a.verified == true
}

reasons := {
	"unsigned": "is not signed",
	"untrusted": "is not signed by a trusted key",
	"invalid": "does not verify: a signature by a trusted key is wrong, or the envelope cannot be read",
}

reason(s) := reasons[s]

reason(s) := "is not verified" if not reasons[s]

# The subjects no release artifact has the sha256 of, by name (or digest).
unmatched(a) := [subject_label(s) | some s in a.subject; not release_digest(s.digest.sha256)]

release_digest(d) if {
	some r in input.release.artifacts
	r.sha256 != null
	lower(r.sha256) == lower(d)
}

subject_label(s) := s.name if has_name(s)

subject_label(s) := concat("", ["sha256:", s.digest.sha256]) if not has_name(s)

has_name(s) if {
	lib.opt(s, "name") != null
	s.name != ""
}

subject_problem(a) := "names no subject: it is not about any artifact of this release" if count(a.subject) == 0

subject_problem(a) := concat("", [
	"is not about this release: no release artifact has the sha256 of subject(s) ",
	lib.ticks(unmatched(a)),
]) if {
	count(a.subject) > 0
	count(unmatched(a)) > 0
}

subject_problem(a) := "does not match the release's artifacts" if {
	count(a.subject) > 0
	count(unmatched(a)) == 0
}
