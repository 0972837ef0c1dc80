#!/usr/bin/env python3
"""Writes expected.json: the outcome shipgate must have on every vendored SBOM.

Expectations come from the corpus index (format, spec version, component
count, official validation result) and the conformance suite's naming
(invalid-* files are meant to be rejected), never from shipgate's own output,
so the test checks shipgate against what the formats' owners say.

Usage: make_expected.py INDEX_JSON  (the full corpus's index.json)
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Conformance files whose flaw shipgate cannot work around: a component with
# no name cannot be identified by any rule or waiver.
UNREADABLE = {
    "invalid-empty-component": "component without a name",
}


def expectation(path, entry):
    fmt, spec, n = entry["format"], entry["spec"], entry["components"]
    base = os.path.basename(path)
    if fmt == "SPDX 3 JSON-LD":
        return {"outcome": "error", "error_code": "sbom-unsupported-version",
                "note": "SPDX 3 is planned, not read yet"}
    if fmt in ("SPDX tag-value", "SPDX YAML"):
        return {"outcome": "error", "error_code": "sbom-unknown-format",
                "note": f"{fmt} is not read: convert to SPDX 2.3 JSON"}
    if fmt == "other JSON":
        return {"outcome": "error", "error_code": "sbom-unknown-format",
                "note": "neither CycloneDX nor SPDX"}
    if fmt.startswith("CycloneDX"):
        for prefix, why in UNREADABLE.items():
            if base.startswith(prefix):
                return {"outcome": "error", "error_code": "sbom-schema-violation", "note": why}
        if base.startswith("invalid-"):
            return {"outcome": "ok", "components": n, "warnings_min": 1,
                    "warning_code": "sbom-schema-violation",
                    "note": "invalid per the official schema: read, with the violation as a warning"}
        if spec in ("1.2", "1.3"):
            return {"outcome": "ok", "components": n, "warnings_min": 1,
                    "warning_code": "sbom-schema-violation",
                    "note": "no official JSON schema embedded for this version: one warning says so"}
        return {"outcome": "ok", "components": n, "warnings_min": 0}
    if fmt == "SPDX JSON":
        # spdx-tools' semantic complaints (files_analyzed, licenseListVersion)
        # do not stop a gate from reading the packages.
        return {"outcome": "ok", "components": n, "warnings_min": 0}
    raise SystemExit(f"{path}: no rule for format {fmt!r}")


def main():
    index = {e["path"]: e for e in json.load(open(sys.argv[1]))}
    out = {}
    for root, _, files in os.walk(HERE):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), HERE).replace(os.sep, "/")
            if rel in ("expected.json", "ORIGIN.md", "make_expected.py"):
                continue
            if rel not in index:
                raise SystemExit(f"{rel} is not in the corpus index")
            out[rel] = expectation(rel, index[rel])
    with open(os.path.join(HERE, "expected.json"), "w") as w:
        json.dump(dict(sorted(out.items())), w, indent=1)
        w.write("\n")


if __name__ == "__main__":
    main()
