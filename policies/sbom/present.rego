# sbom.present (deny): every SBOM lists at least one component.
#
# A release without any SBOM fails this rule (and every rule of the bundle)
# before evaluation: the bundle declares `required-evidence = ["sbom"]`. What
# is left to check here is an SBOM that is there but empty.
package shipgate.sbom.present

import rego.v1

deny contains {"msg": msg, "file": sbom.file} if {
	some sbom in input.sboms
	count(sbom.components) == 0
	msg := concat("", ["SBOM `", sbom.file, "` lists no components"])
}
