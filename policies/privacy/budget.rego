# privacy.budget (deny): a stated differential-privacy budget is within
# `params.max_epsilon` / `params.max_delta`; and, when
# `params.require_privacy_budget_for_models` is true, an attestation about a
# model artifact states a budget unless it lists training data and none of
# that data contains personal data (one violation per model).
# Twin: rules/budget.cel (same messages).
package shipgate.privacy.budget

import rego.v1

import data.shipgate.privacy.lib

deny contains lib.violation(a, "/predicate/privacy_budget/epsilon", msg) if {
	some a in input.attestations.privacy
	b := lib.opt(a.predicate, "privacy_budget")
	b != null
	b.epsilon > data.params.max_epsilon
	msg := sprintf("%s states a privacy budget of epsilon %v; at most %v is allowed (`max_epsilon`)", [
		lib.label(a), b.epsilon, data.params.max_epsilon,
	])
}

deny contains lib.violation(a, "/predicate/privacy_budget/delta", msg) if {
	some a in input.attestations.privacy
	b := lib.opt(a.predicate, "privacy_budget")
	b != null
	delta := lib.opt(b, "delta")
	delta != null
	delta > data.params.max_delta
	msg := sprintf("%s states a privacy budget of delta %v; at most %v is allowed (`max_delta`)", [
		lib.label(a), delta, data.params.max_delta,
	])
}

deny contains object.union(lib.violation(a, "/predicate", msg), {"artifact": m}) if {
	data.params.require_privacy_budget_for_models == true
	some a in input.attestations.privacy
	lib.opt(a.predicate, "privacy_budget") == null
	some m in lib.models(a)
	msg := concat("", [lib.label(a), " is about model `", m, "` but states no privacy budget (`privacy_budget`): ", why(a)])
}

why(a) := "it lists no training data" if count(lib.training(a)) == 0

why(a) := concat("", ["its training data contains personal data (", lib.ticks(lib.pii_datasets(a)), ")"]) if {
	count(lib.pii_datasets(a)) > 0
}
