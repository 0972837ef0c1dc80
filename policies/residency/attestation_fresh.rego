# residency.attestation-fresh (deny): no residency attestation has expired, is
# older than `params.max_attestation_age_days`, was issued after
# `context.now`, or lacks an issue time. `expired` and `age_days` come
# computed in the input (against `context.now`).
# Twin: rules/attestation_fresh.cel (same messages).
package shipgate.residency.attestation_fresh

import rego.v1

import data.shipgate.residency.lib

deny contains lib.violation(a, "/predicate/expires_at", msg) if {
	some a in input.attestations.residency
	a.expired == true
	msg := concat("", [lib.label(a), " ", expiry(a)])
}

deny contains lib.violation(a, "/predicate/issued_at", msg) if {
	some a in input.attestations.residency
	a.age_days == null
	msg := concat("", [lib.label(a), " states no issue time (`issued_at`): its age is unknown"])
}

deny contains lib.violation(a, "/predicate/issued_at", msg) if {
	some a in input.attestations.residency
	a.age_days != null
	a.age_days > data.params.max_attestation_age_days
	msg := sprintf("%s is %v days old (issued %s); at most %v days are accepted (`max_attestation_age_days`)", [
		lib.label(a), a.age_days, a.issued_at, data.params.max_attestation_age_days,
	])
}

deny contains lib.violation(a, "/predicate/issued_at", msg) if {
	some a in input.attestations.residency
	a.age_days != null
	a.age_days < 0
	msg := sprintf("%s is issued in the future (%s, after the evaluation time %s)", [
		lib.label(a), a.issued_at, input.context.now,
	])
}

expiry(a) := concat("", ["expired at ", a.expires_at]) if a.expires_at != null

expiry(a) := "has expired" if a.expires_at == null
