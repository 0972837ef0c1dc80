# cost.total-budget (deny): when the manifest has a `total_usd` budget tag, egress plus
# inference is within it, in whole cents; without the tag the rule passes.
# Twin: rules/total_budget.cel (same messages).
package shipgate.cost.total_budget

import rego.v1

deny contains msg if {
	b := input.cost.budgets.total_usd
	b.spent.cents > b.limit.cents
	msg := concat("", ["predicted total cost of USD ", b.spent.usd, " is over the `total_usd` budget of USD ", b.limit.usd, " (headroom USD ", b.headroom.usd, ")"])
}
