# sbom.license-missing (warn): components that declare no license at all.
#
# Severity comes from bundle.toml: this package's `deny` set holds the rule's
# violations, reported at `warn`. Twin: rules/license_missing.cel.
package shipgate.sbom.license_missing

import rego.v1

import data.shipgate.sbom.lib

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.license.expression == null
	count(c.license.names) == 0
	msg := concat("", [lib.label(c), ": no license information"])
}
