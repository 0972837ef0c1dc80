# residency.region-covered (deny): every target region is an entry of a
# residency attestation that is verified and about this release. One
# violation per uncovered region (detail `region`).
# Twin: rules/region_covered.cel (same messages).
package shipgate.residency.region_covered

import rego.v1

import data.shipgate.residency.lib

deny contains {"msg": msg, "region": r} if {
	some r in lib.target_regions
	not covered(r)
	msg := concat("", [
		"target region `", r, "` is not covered by a verified residency attestation about this release",
		named_by(r),
	])
}

covered(r) if {
	some a in input.attestations.residency
	a.verified == true
	a.status == "verified"
	a.subject_matches == true
	some e in a.predicate.regions
	e.region == r
}

# The attestations that name the region without counting for it, as a hint.
naming(r) := sort({a.file |
	some a in input.attestations.residency
	some e in a.predicate.regions
	e.region == r
})

named_by(r) := "" if count(naming(r)) == 0

named_by(r) := concat("", [
	" (named only by ", lib.ticks(naming(r)), ": not verified, or not about this release)",
]) if count(naming(r)) > 0
