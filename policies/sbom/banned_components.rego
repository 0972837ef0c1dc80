# sbom.banned-components (deny): no component's purl matches a glob of
# `params.banned_purls` (`*` any run of characters, `?` one character).
# One violation per component, naming every pattern it matches.
# Twin: rules/banned_components.cel (same messages).
package shipgate.sbom.banned_components

import rego.v1

import data.shipgate.sbom.lib

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.purl != null
	matched := lib.banned_by(c.purl)
	count(matched) > 0
	msg := concat("", [lib.label(c), ": component is banned (purl `", c.purl, "` matches `", concat("`, `", matched), "`)"])
}
