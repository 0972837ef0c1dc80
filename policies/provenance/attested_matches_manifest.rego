# provenance.attested-matches-manifest (deny): what verified SLSA provenance
# attests (builder, source repository, source commit) is what the release
# manifest's `provenance` claims. One violation per differing field and
# attestation. Unverified attestations are provenance.attested's business:
# their claims are not compared.
# Twin: rules/attested_matches_manifest.cel (same messages).
package shipgate.provenance.attested_matches_manifest

import rego.v1

# attestation summary field, manifest provenance field, where the field is in a bare statement
fields := [
	["builder_id", "builder", "/predicate/runDetails/builder/id"],
	["source_repo", "source_repo", "/predicate/buildDefinition"],
	["source_commit", "source_commit", "/predicate/buildDefinition"],
]

deny contains "release has no provenance to compare the verified provenance attestations with" if {
	input.release != null
	input.release.provenance == null
	some a in input.attestations.provenance
	a.verified
}

deny contains {"msg": msg, "file": a.file, "pointer": pointer(a, f[2])} if {
	claimed := input.release.provenance
	claimed != null
	some a in input.attestations.provenance
	a.verified
	some f in fields
	attested := a.summary[f[0]]
	attested != claimed[f[1]]
	msg := concat("", [
		"provenance attestation `", a.file, "` attests ", f[0], " ", shown(attested),
		", the manifest claims ", shown(claimed[f[1]]),
	])
}

shown(v) := concat("", ["`", v, "`"]) if is_string(v)

shown(v) := "none" if v == null

pointer(a, _) := "/payload" if a.envelope == "dsse"

pointer(a, p) := p if a.envelope != "dsse"
