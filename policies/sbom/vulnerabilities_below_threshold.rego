# sbom.vulnerabilities-below-threshold (warn): advisories that affect a component
# but are below `params.vulnerability_fail_severity` (and, when
# `params.vulnerability_fail_unknown` is false, those of unknown severity).
# They do not stop the release; they should not go unseen either.
# Twin: rules/vulnerabilities_below_threshold.cel (same messages).
package shipgate.sbom.vulnerabilities_below_threshold

import rego.v1

import data.shipgate.sbom.known_vulnerabilities as kv

below(v) if kv.levels[v.severity] < kv.threshold

below(v) if {
	v.severity == "unknown"
	data.params.vulnerability_fail_unknown == false
}

deny contains kv.violation(v) if {
	some v in input.vulns
	below(v)
}
