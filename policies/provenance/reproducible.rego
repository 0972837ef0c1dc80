# provenance.reproducible (warn): the build is reproducible.
# Severity comes from bundle.toml: this package's `deny` set holds the rule's
# violations, reported at `warn`.
package shipgate.provenance.reproducible

import rego.v1

deny contains "release has no provenance: whether its build is reproducible is unknown" if {
	input.release != null
	input.release.provenance == null
}

deny contains "the build is not marked reproducible" if {
	input.release.provenance.reproducible == false
}
