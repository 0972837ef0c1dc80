# sbom.license-denied (deny): no component can only be used under a denied
# license.
#
# A component fails when EVERY alternative of its license expression has a
# term whose license id is in `params.denied_licenses` (an or-later `+` does
# not hide it; an exception from `params.allowed_exceptions` excuses it).
# `MIT OR GPL-3.0-only` passes: the release can pick MIT.
# Twin: rules/license_denied.cel (same messages).
package shipgate.sbom.license_denied

import rego.v1

import data.shipgate.sbom.lib

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.license.valid
	count(c.license.alternatives) > 0
	every alt in c.license.alternatives {
		some t in alt
		lib.denied_term(t)
	}
	denied := [id | some id in c.license.ids; id in data.params.denied_licenses]
	msg := concat("", [
		lib.label(c), ": license `", c.license.expression,
		"` cannot be used without a denied license (", concat(", ", denied), ")",
	])
}
