# cost.forecast-complete (warn): every targeted (region, device class) has an install forecast.
# Twin: rules/forecast_complete.cel (same messages).
package shipgate.cost.forecast_complete

import rego.v1

deny contains {"msg": msg, "region": p.region, "file": input.cost.file, "pointer": "/installs"} if {
	some p in input.cost.unforecast
	msg := concat("", ["no install forecast for device class `", p.device_class, "` in region `", p.region, "`: its egress is not counted"])
}
