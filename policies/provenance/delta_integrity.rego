# provenance.delta-integrity (warn): every delta patch has a sha256 digest.
# Severity comes from bundle.toml: this package's `deny` set holds the rule's
# violations, reported at `warn`.
package shipgate.provenance.delta_integrity

import rego.v1

deny contains {"msg": msg, "artifact": a.name, "from_version": d.from_version} if {
	some a in input.release.artifacts
	some d in a.deltas
	d.sha256 == null
	msg := concat("", ["delta patch of artifact `", a.name, "` from version ", d.from_version, " has no sha256 digest"])
}
