# cost.security-fast-tier (deny): a security or critical release delivers every rollout stage
# through a tier in `params.fast_tiers`; no rollout means the `standard` tier.
# Twin: rules/security_fast_tier.cel (same messages).
package shipgate.cost.security_fast_tier

import rego.v1

urgent if input.release.urgency in {"security", "critical"}

deny contains {"msg": msg, "stage": s.stage} if {
	urgent
	some s in input.release.rollout
	not s.tier in data.params.fast_tiers
	msg := concat("", [input.release.urgency, " release: rollout stage `", s.stage, "` delivers on tier `", s.tier, "`, not a fast tier"])
}

deny contains msg if {
	urgent
	count(input.release.rollout) == 0
	not "standard" in data.params.fast_tiers
	msg := concat("", [input.release.urgency, " release has no rollout stages: it ships on the `standard` tier"])
}
