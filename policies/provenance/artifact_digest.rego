# provenance.artifact-digest (deny): every artifact has a sha256 digest.
# Twin: rules/artifact_digest.cel (same messages).
package shipgate.provenance.artifact_digest

import rego.v1

deny contains {"msg": msg, "artifact": a.name} if {
	some a in input.release.artifacts
	a.sha256 == null
	msg := concat("", ["artifact `", a.name, "` (", a.kind, ") has no sha256 digest"])
}
