# residency.jurisdiction-allowed (deny): for every target region, every
# jurisdiction where an attestation says its data is stored or processed is
# allowed for the region by `params.allowed_jurisdictions` (see lib.pattern
# and lib.allowed_for). Claims count whether or not the attestation is
# verified: an unsigned claim that data goes abroad is no better for it.
# One violation per (attestation, region, jurisdiction, use).
# Twin: rules/jurisdiction_allowed.cel (same messages).
package shipgate.residency.jurisdiction_allowed

import rego.v1

import data.shipgate.residency.lib

deny contains object.union(lib.violation(a, "/predicate/regions", msg), {"region": r, "jurisdiction": j, "use": use}) if {
	some r in lib.target_regions
	some a in input.attestations.residency
	some e in a.predicate.regions
	e.region == r
	some use in ["storage", "processing"]
	some j in e[use]
	not lib.allowed(r, j)
	msg := concat("", [
		"region `", r, "`: data is ", verbs[use], " in `", j, "`, ", lib.refusal(r),
		" (", lib.label(a), ")",
	])
}

verbs := {"storage": "stored", "processing": "processed"}
