# Helpers shared by the model rules.
package shipgate.model.lib

import rego.v1

# Artifacts of kind model, with their index in the manifest.
models contains [i, a] if {
	some i, a in input.release.artifacts
	a.kind == "model"
}

# The device classes that install artifact `a`: its own list, or every target.
device_classes(a) := {d | some d in a.device_classes} if count(a.device_classes) > 0

device_classes(a) := {t.device_class | some t in input.release.targets} if count(a.device_classes) == 0

# A dotted version as four integers (missing components are 0); the manifest
# schema allows at most four components.
version_key(v) := [n | some i in numbers.range(0, 3); n := component(v, i)]

component(v, i) := to_number(split(v, ".")[i]) if count(split(v, ".")) > i

component(v, i) := 0 if count(split(v, ".")) <= i

# Is version a at least version b?
at_least(a, b) if {
	ka := version_key(a)
	kb := version_key(b)
	not before(ka, kb)
}

# Is key ka lexicographically before key kb?
before(ka, kb) if {
	some i in numbers.range(0, 3)
	ka[i] < kb[i]
	every j in [j | some j in numbers.range(0, 3); j < i] {
		ka[j] == kb[j]
	}
}
