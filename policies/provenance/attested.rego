# provenance.attested (deny): the release's artifacts are covered by verified
# SLSA provenance. Every provenance attestation given must verify with a
# trusted key (one violation per file that does not); at least one must be
# verified and unexpired; and every artifact with a sha256 must be a subject
# of such an attestation (one violation per artifact that is not).
# Twin: rules/attested.cel (same messages).
package shipgate.provenance.attested

import rego.v1

# Verified, unexpired attestations: the ones that vouch for artifacts.
current contains a if {
	some a in input.attestations.provenance
	a.verified
	not a.expired
}

covered contains name if {
	some a in current
	some name in a.artifacts
}

deny contains {"msg": msg, "file": a.file, "pointer": signatures(a)} if {
	input.release != null
	some a in input.attestations.provenance
	not a.verified
	msg := concat("", ["provenance attestation `", a.file, "` is ", a.status, ", not verified by a trusted key"])
}

deny contains "no provenance attestation is both verified and unexpired" if {
	input.release != null
	count(current) == 0
}

deny contains {"msg": msg, "artifact": art.name} if {
	some art in input.release.artifacts
	art.sha256 != null
	not art.name in covered
	msg := concat("", ["artifact `", art.name, "` is not a subject of a verified, unexpired provenance attestation"])
}

signatures(a) := "/signatures" if a.envelope == "dsse"

signatures(a) := "" if a.envelope != "dsse"
