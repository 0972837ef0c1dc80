# sbom.required-fields (deny): every component has a version and a purl.
#
# Components whose type is in `params.required_fields_exempt_types` (default
# `file`) are exempt. One violation per missing field; an empty string counts
# as missing. Twin: rules/required_fields.cel (same messages).
package shipgate.sbom.required_fields

import rego.v1

import data.shipgate.sbom.lib

deny contains object.union(lib.violation(c, msg), {"field": "version"}) if {
	some sbom in input.sboms
	some c in sbom.components
	not c.type in data.params.required_fields_exempt_types
	lib.blank(c.version)
	msg := concat("", [lib.label(c), ": required field `version` is missing"])
}

deny contains object.union(lib.violation(c, msg), {"field": "purl"}) if {
	some sbom in input.sboms
	some c in sbom.components
	not c.type in data.params.required_fields_exempt_types
	lib.blank(c.purl)
	msg := concat("", [lib.label(c), ": required field `purl` is missing"])
}
