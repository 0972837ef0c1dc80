# cost.coverage (warn): the rollout reaches 100 % of every targeted region.
# Twin: rules/coverage.cel (same messages).
package shipgate.cost.coverage

import rego.v1

deny contains {"msg": msg, "region": c.region} if {
	some c in input.cost.coverage
	not c.covered
	msg := concat("", ["the rollout reaches ", c.percent, " % of region `", c.region, "`: the rest does not get this release"])
}
