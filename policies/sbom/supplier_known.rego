# sbom.supplier-known (warn): components name their supplier.
#
# Severity comes from bundle.toml: this package's `deny` set holds the rule's
# violations, reported at `warn`. Noisy on generated SBOMs (cyclonedx-py and
# cyclonedx-npm rarely fill `supplier`), so it stays a warning.
package shipgate.sbom.supplier_known

import rego.v1

import data.shipgate.sbom.lib

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	lib.blank(c.supplier)
	msg := concat("", [lib.label(c), ": no supplier"])
}
