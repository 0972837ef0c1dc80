# provenance.artifact-signed (deny): every artifact has at least one signature entry.
# (Whether a signature verifies against a trusted key is the attestation
# check's business; this rule makes sure there is something to verify.)
# Twin: rules/artifact_signed.cel (same messages).
package shipgate.provenance.artifact_signed

import rego.v1

deny contains {"msg": msg, "artifact": a.name} if {
	some a in input.release.artifacts
	count(a.signatures) == 0
	msg := concat("", ["artifact `", a.name, "` (", a.kind, ") is not signed"])
}
