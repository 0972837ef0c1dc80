# Helpers shared by the rules of the residency bundle.
#
# Violations name the attestation's `file` and a JSON `pointer` into its
# in-toto Statement (for a DSSE envelope, into the decoded payload); rules
# about a region add `region`, which waivers can match.
#
# The CEL twins in rules/*.cel build the same messages character for
# character: change one, change the other (`shipgate test` compares them).
package shipgate.residency.lib

import rego.v1

# The violation object for attestation `a`.
violation(a, pointer, msg) := {"msg": msg, "file": a.file, "pointer": pointer}

# "residency attestation `FILE`", the start of attestation messages.
label(a) := concat("", ["residency attestation `", a.file, "`"])

# `x`, `y`: a list for messages.
ticks(xs) := concat("", ["`", concat("`, `", xs), "`"])

# The value of optional `key` in `obj`, or null.
opt(obj, key) := object.get(obj, key, null)

# Every region of the release's targets.
target_regions contains r if {
	some t in input.release.targets
	some r in t.regions
}

# ---- allowed jurisdictions ----------------------------------------------------

# The key of `params.allowed_jurisdictions` that governs region `r`: the
# region itself, else the longest prefix pattern (`eu-*`) that matches it.
# Undefined when no key matches: then nothing is allowed for the region.
pattern(r) := r if r in object.keys(data.params.allowed_jurisdictions)

pattern(r) := p if {
	not r in object.keys(data.params.allowed_jurisdictions)
	matching := [q |
		some q, _ in data.params.allowed_jurisdictions
		endswith(q, "*")
		startswith(r, trim_suffix(q, "*"))
	]
	some p in matching
	every q in matching {
		count(q) <= count(p)
	}
}

# The jurisdiction codes allowed for region `r`, group names expanded.
allowed_for(r) := {j |
	some entry in data.params.allowed_jurisdictions[pattern(r)]
	some j in expand(entry)
}

expand(entry) := data.params.jurisdiction_groups[entry] if entry in object.keys(data.params.jurisdiction_groups)

expand(entry) := [entry] if not entry in object.keys(data.params.jurisdiction_groups)

allowed(r, j) if j in allowed_for(r)

# Why `j` is not allowed for `r`, for messages.
refusal(r) := concat("", ["which `allowed_jurisdictions` does not allow for `", pattern(r), "`"])

refusal(r) := "and no entry of `allowed_jurisdictions` matches the region" if not pattern(r)
