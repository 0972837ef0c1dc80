# cost.egress-budget (deny): the computed egress is within the manifest's `egress_usd`
# budget tag, compared in whole cents; no tag fails.
# Twin: rules/egress_budget.cel (same messages).
package shipgate.cost.egress_budget

import rego.v1

deny contains msg if {
	input.cost != null
	input.cost.budgets.egress_usd == null
	msg := concat("", ["release has no `egress_usd` budget tag: predicted egress of USD ", input.cost.egress.total.usd, " is unchecked"])
}

deny contains msg if {
	b := input.cost.budgets.egress_usd
	b.spent.cents > b.limit.cents
	msg := concat("", ["predicted egress of USD ", b.spent.usd, " is over the `egress_usd` budget of USD ", b.limit.usd, " (headroom USD ", b.headroom.usd, ")"])
}
