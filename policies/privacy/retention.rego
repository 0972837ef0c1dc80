# privacy.retention (deny): collected data is kept at most
# `params.max_retention_days` days.
# Twin: rules/retention.cel (same messages).
package shipgate.privacy.retention

import rego.v1

import data.shipgate.privacy.lib

deny contains lib.violation(a, "/predicate/retention_days", msg) if {
	some a in input.attestations.privacy
	a.predicate.retention_days > data.params.max_retention_days
	msg := sprintf("%s keeps collected data for %v days; at most %v days are allowed (`max_retention_days`)", [
		lib.label(a), a.predicate.retention_days, data.params.max_retention_days,
	])
}
