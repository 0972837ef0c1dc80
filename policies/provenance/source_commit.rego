# provenance.source-commit (deny): the provenance names the source repository
# and the commit that was built; one violation per missing field.
package shipgate.provenance.source_commit

import rego.v1

deny contains "release has no provenance: its source repository and commit are unknown" if {
	input.release != null
	input.release.provenance == null
}

deny contains "provenance does not name the source repository (`source_repo`)" if {
	blank(input.release.provenance.source_repo)
}

deny contains "provenance does not name the source commit (`source_commit`)" if {
	blank(input.release.provenance.source_commit)
}

blank(v) if v == null

blank(v) if v == ""
