# model.runtime-compatible (deny): every device class that installs a model has
# the model's runtime at min_version or later.
# Twin: rules/runtime_compatible.cel (same messages).
package shipgate.model.runtime_compatible

import data.shipgate.model.lib
import rego.v1

deny contains {"msg": msg, "artifact": a.name, "device_class": d} if {
	some [_, a] in lib.models
	a.model != null
	some d in lib.device_classes(a)
	not runs(a.model.runtime, d)
	msg := concat("", [
		"model artifact `", a.name, "` needs ", a.model.runtime.name, " ", a.model.runtime.min_version,
		" or later, which device class `", d, "` does not have (", installed(a.model.runtime.name, d), ")",
	])
}

runs(runtime, d) if {
	some t in input.release.targets
	t.device_class == d
	some r in t.runtimes
	r.name == runtime.name
	lib.at_least(r.version, runtime.min_version)
}

# The versions of runtime `name` that device class `d` has, in manifest order.
installed(name, d) := concat(", ", versions) if {
	versions := [concat(" ", [r.name, r.version]) |
		some t in input.release.targets
		t.device_class == d
		some r in t.runtimes
		r.name == name
	]
	count(versions) > 0
} else := "not installed"
