#!/usr/bin/env python3
"""shipgate's Rego (regorus) against OPA on one bundle over a corpus of SBOMs.

For each SBOM: the bench program writes the policy input document and the bundle's
parameters exactly as `shipgate check` builds them; `shipgate check --engine rego
--format json` gives each rule's violations and warnings; OPA evaluates the
bundle's packages on the same input and data. A rule agrees when its `deny` and
`warn` sets hold the same messages with the same details (shipgate's details
are the Rego object without `msg`). Run by tests/differential/opa.sh."""
import argparse, json, os, subprocess, sys, tempfile, tomllib
from pathlib import Path
from opa_bindings import OpaEngine, OpaUndefinedError

ap = argparse.ArgumentParser()
ap.add_argument("--shipgate", required=True)
ap.add_argument("--bench-bin", required=True)
ap.add_argument("--bundle", required=True, type=Path)
ap.add_argument("--corpus", required=True, type=Path)
a = ap.parse_args()

manifest = tomllib.loads((a.bundle / "bundle.toml").read_text())
packages = {r["id"]: r["rego"] for r in manifest.get("rule", []) if "rego" in r}
modules = sorted(p for p in a.bundle.glob("*.rego") if not p.name.endswith("_test.rego"))
NOW = "1970-01-01T00:00:00Z"  # the bench program's clock


def as_pairs(values):
    """A Rego set of messages (strings or objects with `msg`) as sorted (msg, details)."""
    out = []
    for v in values or []:
        if isinstance(v, dict):
            d = {k: x for k, x in v.items() if k != "msg"}
            out.append((v.get("msg"), json.dumps(d, sort_keys=True)))
        else:
            out.append((v, "{}"))
    return sorted(out, key=lambda p: (str(p[0]), p[1]))


def shipgate_pairs(items):
    return sorted(((v["msg"], json.dumps(v.get("details") or {}, sort_keys=True)) for v in items),
                  key=lambda p: (str(p[0]), p[1]))


sboms = sorted(p for p in a.corpus.rglob("*.json") if p.name != "index.json")
engine, data_seen = None, None
stats = {"sboms": 0, "refused": 0, "rules": 0, "violations": 0, "warnings": 0}
diffs = []
with tempfile.TemporaryDirectory() as tmp:
    doc, data = Path(tmp) / "input.json", Path(tmp) / "data.json"
    for sbom in sboms:
        rel = sbom.relative_to(a.corpus)
        r = subprocess.run([a.shipgate, "check", "--sbom", sbom, "--bundle", a.bundle, "--engine", "rego",
                            "--format", "json", "--no-ledger", "--now", NOW],
                           cwd=tmp, capture_output=True, text=True, timeout=300)
        if r.returncode == 2:
            stats["refused"] += 1  # not an SBOM shipgate accepts: nothing to compare
            continue
        if r.returncode not in (0, 1):
            diffs.append(f"{rel}: shipgate exited {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        report = json.loads(r.stdout)
        d = subprocess.run([a.bench_bin, "check", "--sbom", sbom, "--bundle", a.bundle, "--iters", "1",
                            "--dump-input", doc, "--dump-data", data], capture_output=True, text=True, timeout=300)
        if d.returncode != 0:
            diffs.append(f"{rel}: the bench program failed: {d.stderr.strip()[:300]}")
            continue
        if engine is None:
            engine, data_seen = OpaEngine(), data.read_text()
            for m in modules:
                engine.add_policy(str(m), m.read_text())
            engine.add_data(json.loads(data_seen))
        elif data.read_text() != data_seen:
            sys.exit("the bundle's parameters changed between SBOMs")
        try:
            opa = engine.eval_document("shipgate", json.loads(doc.read_text()))
        except OpaUndefinedError:
            opa = {}
        except Exception as e:  # noqa: BLE001 — OPA's own error, reported as a difference
            diffs.append(f"{rel}: OPA failed: {e}")
            continue
        stats["sboms"] += 1
        for rule in report["rules"]:
            pkg = packages.get(rule["id"])
            if pkg is None:
                continue
            stats["rules"] += 1
            node = opa
            for part in pkg.split(".")[1:]:
                node = node.get(part, {}) if isinstance(node, dict) else {}
            want_deny, want_warn = as_pairs(node.get("deny")), as_pairs(node.get("warn"))
            if rule["status"] == "error":
                diffs.append(f"{rel}: {rule['id']}: shipgate's rule errored: {rule.get('error')}")
                continue
            got_deny = shipgate_pairs(rule.get("violations", []) + rule.get("waived", []))
            got_warn = shipgate_pairs(rule.get("warnings", []))
            stats["violations"] += len(got_deny)
            stats["warnings"] += len(got_warn)
            for what, got, want in (("deny", got_deny, want_deny), ("warn", got_warn, want_warn)):
                if got != want:
                    only_s = [p for p in got if p not in want][:3]
                    only_o = [p for p in want if p not in got][:3]
                    diffs.append(f"{rel}: {rule['id']} {what}: shipgate {len(got)}, OPA {len(want)}; "
                                 f"only shipgate {only_s}, only OPA {only_o}")

print(f"{stats['sboms']} SBOMs compared ({stats['refused']} refused by shipgate as input errors), "
      f"{stats['rules']} rule evaluations, {stats['violations']} violations and {stats['warnings']} "
      f"warnings: {len(diffs)} differences")
for d in diffs[:50]:
    print("  " + d)
sys.exit(1 if diffs else 0)
