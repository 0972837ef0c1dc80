# model.fingerprint (deny): every model artifact states its fingerprint, and an
# approved one when `params.approved_fingerprints` is not empty.
# Twin: rules/fingerprint.cel (same messages).
package shipgate.model.fingerprint

import data.shipgate.model.lib
import rego.v1

deny contains {"msg": msg, "artifact": a.name} if {
	some [_, a] in lib.models
	a.model == null
	msg := concat("", ["model artifact `", a.name, "` does not describe its model (no `model` in the manifest)"])
}

deny contains {"msg": msg, "artifact": a.name} if {
	some [_, a] in lib.models
	a.model != null
	count(data.params.approved_fingerprints) > 0
	not a.model.fingerprint in data.params.approved_fingerprints
	msg := concat("", ["model artifact `", a.name, "` has fingerprint ", a.model.fingerprint, ", which is not approved"])
}
