# sbom.license-allowed (deny): every licensed component can be used under
# licenses on the allow-list.
#
# `license.alternatives` is the component's SPDX expression in disjunctive
# normal form: the release may pick any one alternative and must honour every
# term of it. A component passes when some alternative has all its terms
# allowed (see lib.allowed_term for `ID WITH EXCEPTION`). It fails when its
# expression is not valid SPDX, when the expression has too many alternatives
# to list (fail closed), or when it has only non-SPDX license names that are
# not all in `params.allowed_license_names`. Components without any license
# information are sbom.license-missing's business.
package shipgate.sbom.license_allowed

import rego.v1

import data.shipgate.sbom.lib

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.license.expression != null
	not c.license.valid
	msg := concat("", [lib.label(c), ": license expression `", c.license.expression, "` is not valid SPDX"])
}

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.license.expression != null
	c.license.valid
	count(c.license.alternatives) == 0
	msg := concat("", [
		lib.label(c), ": license expression `", c.license.expression,
		"` has too many alternatives to check against the allow-list",
	])
}

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.license.valid
	count(c.license.alternatives) > 0
	not any_allowed(c.license.alternatives)
	refused := sort({t | some alt in c.license.alternatives; some t in alt; not lib.allowed_term(t)})
	msg := concat("", [
		lib.label(c), ": license `", c.license.expression, "` is not allowed (not on the allow-list: ",
		concat(", ", refused), ")",
	])
}

deny contains lib.violation(c, msg) if {
	some sbom in input.sboms
	some c in sbom.components
	c.license.expression == null
	refused := [n | some n in c.license.names; not n in data.params.allowed_license_names]
	count(refused) > 0
	msg := concat("", [
		lib.label(c), ": license given by name only, not in allowed_license_names: `",
		concat("`, `", refused), "`",
	])
}

any_allowed(alternatives) if {
	some alt in alternatives
	lib.allowed_alternative(alt)
}
