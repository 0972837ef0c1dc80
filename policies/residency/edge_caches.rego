# residency.edge-caches (deny): every edge cache attested for a target region
# is in a jurisdiction allowed for the region, and run by a provider in
# `params.allowed_cache_providers` when that list is not empty. Like
# residency.jurisdiction-allowed, every attestation's claims count.
# Twin: rules/edge_caches.cel (same messages).
package shipgate.residency.edge_caches

import rego.v1

import data.shipgate.residency.lib

deny contains violation(a, r, c, msg) if {
	some r in lib.target_regions
	some a in input.attestations.residency
	some c in caches(a, r)
	not lib.allowed(r, c.jurisdiction)
	msg := concat("", [
		"region `", r, "`: edge cache `", c.pop, "` of `", c.provider, "` is in `", c.jurisdiction, "`, ",
		lib.refusal(r), " (", lib.label(a), ")",
	])
}

deny contains violation(a, r, c, msg) if {
	count(data.params.allowed_cache_providers) > 0
	some r in lib.target_regions
	some a in input.attestations.residency
	some c in caches(a, r)
	not c.provider in data.params.allowed_cache_providers
	msg := concat("", [
		"region `", r, "`: edge cache `", c.pop, "` is run by `", c.provider,
		"`, which is not in `allowed_cache_providers` (", lib.label(a), ")",
	])
}

# The edge caches attestation `a` lists for region `r`.
caches(a, r) := [c |
	some e in a.predicate.regions
	e.region == r
	listed := object.get(e, "edge_caches", [])
	listed != null
	some c in listed
]

violation(a, r, c, msg) := object.union(
	lib.violation(a, "/predicate/regions", msg),
	{"region": r, "jurisdiction": c.jurisdiction, "provider": c.provider, "pop": c.pop},
)
