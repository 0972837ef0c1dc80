# cost.inference-budget (deny): the computed inference cost is within the manifest's
# `inference_usd` budget tag, in whole cents; inference cost without a tag fails.
# Twin: rules/inference_budget.cel (same messages).
package shipgate.cost.inference_budget

import rego.v1

deny contains msg if {
	input.cost != null
	input.cost.budgets.inference_usd == null
	input.cost.inference.total.cents > 0
	msg := concat("", ["release has no `inference_usd` budget tag: predicted inference cost of USD ", input.cost.inference.total.usd, " is unchecked"])
}

deny contains msg if {
	b := input.cost.budgets.inference_usd
	b.spent.cents > b.limit.cents
	msg := concat("", ["predicted inference cost of USD ", b.spent.usd, " is over the `inference_usd` budget of USD ", b.limit.usd, " (headroom USD ", b.headroom.usd, ")"])
}
