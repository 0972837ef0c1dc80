# sbom.known-vulnerabilities (deny): no SBOM component is affected by an advisory
# of the vulnerability feed whose severity is `params.vulnerability_fail_severity`
# or worse. Advisories of unknown severity (no CVSS v3 vector and no level from
# the database, e.g. malicious-package reports) fail too unless
# `params.vulnerability_fail_unknown` is false: nothing says they are harmless.
# One violation per (advisory, component) match of `input.vulns`.
# Matches below the threshold are reported by sbom.vulnerabilities-below-threshold.
# Twin: rules/known_vulnerabilities.cel (same messages).
package shipgate.sbom.known_vulnerabilities

import rego.v1

levels := {"low": 1, "medium": 2, "high": 3, "critical": 4}

threshold := levels[data.params.vulnerability_fail_severity]

# Whether match `v` fails the gate.
fails(v) if levels[v.severity] >= threshold

fails(v) if {
	v.severity == "unknown"
	data.params.vulnerability_fail_unknown == true
}

# `fixed in 1.2.3, 2.0.1`, or that no fix is known.
fixed_text(v) := "no fixed version is known" if count(v.fixed) == 0

fixed_text(v) := concat("", ["fixed in ", concat(", ", v.fixed)]) if count(v.fixed) > 0

# The violation for match `v`, located at the component in its SBOM.
violation(v) := {
	"msg": concat("", [v.id, " (", v.severity, ") affects `", v.purl, "`: ", fixed_text(v)]),
	"purl": v.purl,
	"component": v.component,
	"advisory": v.id,
	"file": v.sbom,
	"pointer": v.pointer,
}

deny contains violation(v) if {
	some v in input.vulns
	fails(v)
}

# A threshold that is no level would let every match pass: fail closed.
deny contains {"msg": msg} if {
	not data.params.vulnerability_fail_severity in object.keys(levels)
	msg := sprintf(
		"parameter `vulnerability_fail_severity` is `%v`: expected critical, high, medium or low",
		[data.params.vulnerability_fail_severity],
	)
}
