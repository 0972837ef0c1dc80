# provenance.builder-allowed (deny): the provenance's builder is in
# `params.allowed_builders`; an entry ending in `*` matches by prefix. The
# builder the manifest claims is checked, and so is the builder of every
# verified SLSA provenance attestation (unverified ones prove nothing and are
# provenance.attested's business).
# Twin: rules/builder_allowed.cel (same messages).
package shipgate.provenance.builder_allowed

import rego.v1

deny contains "release has no provenance: its builder is unknown" if {
	input.release != null
	input.release.provenance == null
}

deny contains msg if {
	builder := input.release.provenance.builder
	not allowed(builder)
	msg := concat("", ["builder `", builder, "` is not on the allow-list"])
}

deny contains {"msg": msg, "file": a.file, "pointer": pointer(a)} if {
	input.release != null
	some a in input.attestations.provenance
	a.verified
	builder := a.summary.builder_id
	not allowed(builder)
	msg := concat("", ["provenance attestation `", a.file, "`: builder `", builder, "` is not on the allow-list"])
}

allowed(builder) if builder in data.params.allowed_builders

allowed(builder) if {
	some entry in data.params.allowed_builders
	endswith(entry, "*")
	startswith(builder, trim_suffix(entry, "*"))
}

pointer(a) := "/payload" if a.envelope == "dsse"

pointer(a) := "/predicate/runDetails/builder/id" if a.envelope != "dsse"
