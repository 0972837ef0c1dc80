# model.inference-profile (deny): for every device class that installs a model,
# a profile measured on it exists and fits the class's `params.device_limits`.
# Twin: rules/inference_profile.cel (same messages).
package shipgate.model.inference_profile

import data.shipgate.model.lib
import rego.v1

deny contains {"msg": msg, "artifact": a.name, "device_class": d} if {
	some [_, a] in lib.models
	a.model != null
	some d in lib.device_classes(a)
	not profiled(a, d)
	msg := concat("", ["model artifact `", a.name, "` has no inference profile for device class `", d, "`"])
}

deny contains {"msg": msg, "artifact": a.name, "device_class": d} if {
	some [_, a] in lib.models
	a.model != null
	some d in lib.device_classes(a)
	not data.params.device_limits[d]
	msg := concat("", ["device class `", d, "` has no limits in `device_limits`: cannot judge model artifact `", a.name, "`"])
}

deny contains {"msg": msg, "artifact": a.name, "device_class": p.device_class} if {
	some [_, a] in lib.models
	a.model != null
	some p in a.model.profiles
	p.device_class in lib.device_classes(a)
	limit := data.params.device_limits[p.device_class].max_latency_ms_p95
	p.latency_ms_p95 > limit
	msg := concat("", [
		"model artifact `", a.name, "` on `", p.device_class, "`: p95 latency ",
		format_int(p.latency_ms_p95, 10), " ms exceeds the limit of ", format_int(limit, 10), " ms",
	])
}

deny contains {"msg": msg, "artifact": a.name, "device_class": p.device_class} if {
	some [_, a] in lib.models
	a.model != null
	some p in a.model.profiles
	p.device_class in lib.device_classes(a)
	limit := data.params.device_limits[p.device_class].max_memory_mib
	p.peak_memory_mib > limit
	msg := concat("", [
		"model artifact `", a.name, "` on `", p.device_class, "`: peak memory ",
		format_int(p.peak_memory_mib, 10), " MiB exceeds the limit of ", format_int(limit, 10), " MiB",
	])
}

profiled(a, d) if {
	some p in a.model.profiles
	p.device_class == d
}
