#!/usr/bin/env python3
"""The benchmark workload (gen_input.py's output) as a CycloneDX 1.6 SBOM.
usage: make_sbom.py INPUT.json OUT.cdx.json"""
import json
import sys

inp = json.load(open(sys.argv[1]))
comps = []
for i, c in enumerate(inp["components"]):
    comp = {"type": "library", "bom-ref": f"c{i}", "name": c["name"]}
    if c["version"]:
        comp["version"] = c["version"]
    if c["purl"]:
        comp["purl"] = c["purl"]
    # Schema-valid: `id` only takes SPDX ids, the rest are names.
    lics = [{"license": {"name": l}} if l == "NOASSERTION" or l.startswith("LicenseRef-")
            else {"license": {"id": l}} for l in c["licenses"]]
    if lics:
        comp["licenses"] = lics
    comps.append(comp)
n = len(comps)
bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
       "serialNumber": "urn:uuid:6b1a7a2e-0000-4000-8000-%012d" % n,
       "metadata": {"component": {"type": "application", "name": "demo", "version": "1.2.3", "bom-ref": "root"}},
       "components": comps}
# Indented, as generators write them (and as diagnostics can quote them).
with open(sys.argv[2], "w") as f:
    json.dump(bom, f, indent=2)
