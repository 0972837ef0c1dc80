# provenance.slsa-level (deny): the release states its provenance and its SLSA
# build level is at least `params.min_slsa_level`.
# Twin: rules/slsa_level.cel (same messages).
package shipgate.provenance.slsa_level

import rego.v1

deny contains "release has no provenance: its SLSA build level is unknown" if {
	input.release != null
	input.release.provenance == null
}

deny contains msg if {
	level := input.release.provenance.slsa_level
	level < data.params.min_slsa_level
	msg := sprintf("SLSA build level %d is below the required level %d", [level, data.params.min_slsa_level])
}
