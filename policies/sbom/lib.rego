# Helpers shared by the rules of the sbom bundle.
#
# Every rule iterates `input.sboms[_].components[_]` and reports one object
# per violation: `msg` plus the component's `purl` and `component` (name),
# and `file` + `pointer` (where the component is in its SBOM) so the gate
# shows the offending line and waivers can match on purl or name.
#
# The CEL twins in rules/*.cel build the same messages character for
# character: change one, change the other (`shipgate test` compares them).
package shipgate.sbom.lib

import rego.v1

# `group/name@version`, leaving out what the SBOM does not say.
label(c) := concat("", [group_prefix(c), c.name, version_suffix(c)])

group_prefix(c) := "" if c.group == null

group_prefix(c) := concat("", [c.group, "/"]) if c.group != null

version_suffix(c) := "" if c.version == null

version_suffix(c) := concat("", ["@", c.version]) if c.version != null

# The violation object for component `c`.
violation(c, msg) := {
	"msg": msg,
	"purl": c.purl,
	"component": c.name,
	"file": c.source.file,
	"pointer": c.source.pointer,
}

# Whether a field value says nothing: null or the empty string.
blank(v) if v == null

blank(v) if v == ""

# ---- licenses --------------------------------------------------------------

# A term of `license.alternatives` is `ID` or `ID WITH EXCEPTION`.
term_license(t) := split(t, " WITH ")[0]

# The license id of a term without an or-later `+` (`Apache-1.0+` -> `Apache-1.0`).
# SPDX ids never contain `+` elsewhere, so removing every `+` is the same.
term_id(t) := replace(term_license(t), "+", "")

# Undefined when the term has no exception.
term_exception(t) := split(t, " WITH ")[1]

# A term is allowed when it is on the allow-list as written, or when its
# license is and its exception is on the list of allowed exceptions.
allowed_term(t) if t in data.params.allowed_licenses

allowed_term(t) if {
	term_license(t) in data.params.allowed_licenses
	term_exception(t) in data.params.allowed_exceptions
}

# An alternative can be chosen when every one of its terms is allowed.
allowed_alternative(alt) if {
	every t in alt {
		allowed_term(t)
	}
}

# A term is denied when its license id is on the deny list, unless it
# carries an allowed exception (`GPL-3.0-or-later WITH GCC-exception-3.1`:
# the exception lifts the obligations that put the license on the list).
denied_term(t) if {
	term_id(t) in data.params.denied_licenses
	not excused(t)
}

excused(t) if term_exception(t) in data.params.allowed_exceptions

# ---- banned purls ------------------------------------------------------------

# A `params.banned_purls` glob as an anchored regular expression: `*` matches
# any run of characters (`/`, `:` and `@` included), `?` any one character,
# every other character itself. rules/banned_components.cel builds the same
# regex character by character.
#
# (`glob.match` is not used: with `[]` delimiters it treats `.` as a
# separator, so `pkg:npm/left-pad@*` would not match `pkg:npm/left-pad@1.3.0`,
# and CEL has no glob function to agree with it.)
glob_regex(g) := concat("", ["^", concat("", [glob_char(ch) | some ch in split(g, "")]), "$"])

regex_meta := {"\\", ".", "+", "(", ")", "|", "^", "$", "[", "]", "{", "}"}

glob_char(ch) := ".*" if ch == "*"

glob_char(ch) := "." if ch == "?"

glob_char(ch) := concat("", ["\\", ch]) if ch in regex_meta

glob_char(ch) := ch if {
	not ch in regex_meta
	ch != "*"
	ch != "?"
}

# The patterns of `params.banned_purls`, prepared once per evaluation. regorus
# compiles a regex on every `regex.match`, so a cheap test of the glob's
# literal prefix and suffix runs first and most purls never reach the regex.
banned_patterns := [p |
	some g in data.params.banned_purls
	p := {"glob": g, "prefix": literal_prefix(g), "suffix": literal_suffix(g), "regex": glob_regex(g)}
]

# The text before the first wildcard, and after the last one.
literal_prefix(g) := split(split(g, "*")[0], "?")[0]

literal_suffix(g) := s if {
	stars := split(g, "*")
	marks := split(stars[count(stars) - 1], "?")
	s := marks[count(marks) - 1]
}

# The globs of `params.banned_purls` that `purl` matches, in their order.
banned_by(purl) := [p.glob |
	some p in banned_patterns
	startswith(purl, p.prefix)
	endswith(purl, p.suffix)
	regex.match(p.regex, purl)
]
