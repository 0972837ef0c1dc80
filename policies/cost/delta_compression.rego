# cost.delta-compression (deny or warn by `params.delta_compression_enforcement`): every
# delta patch is at most `params.max_delta_ratio_bp` basis points of its artifact's size.
# `ratio_bp` is rounded up, so `ratio_bp <= max` is exactly `size / full_size <= max / 10000`.
# Rego only: whether a violation denies or warns is a parameter, and CEL has no warnings.
package shipgate.cost.delta_compression

import rego.v1

deny contains v if {
	data.params.delta_compression_enforcement != "warn"
	some v in violations
}

warn contains v if {
	data.params.delta_compression_enforcement == "warn"
	some v in violations
}

violations contains {"msg": msg, "artifact": d.artifact, "from_version": d.from_version} if {
	some d in input.cost.deltas
	d.ratio_bp > data.params.max_delta_ratio_bp
	msg := concat("", [
		"delta patch of `", d.artifact, "` from version ", d.from_version, " is ", d.ratio,
		" of the artifact's size (", format_int(d.ratio_bp, 10), " basis points), above the limit of ",
		format_int(data.params.max_delta_ratio_bp, 10), " basis points",
	])
}

violations contains {"msg": msg, "artifact": d.artifact, "from_version": d.from_version} if {
	some d in input.cost.deltas
	d.ratio_bp == null
	msg := concat("", ["delta patch of `", d.artifact, "` from version ", d.from_version, " has bytes but the artifact is empty"])
}
