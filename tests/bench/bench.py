#!/usr/bin/env python3
"""shipgate against OPA and cel-js, side by side (issue 6). Run through tests/bench/run.sh,
which installs the peers and builds the binaries; see tests/bench/README.md.

Measures, on one machine in one run: per-evaluation time of the workload's 20 rules
(Rego: OPA vs shipgate; CEL: cel-js vs shipgate) at 1k/10k/100k components; whole
processes (`shipgate check` on a CycloneDX SBOM with policies/sbom vs OPA on the same
Rego and the same input document); the floor (reading and parsing the SBOM); the
pre-commit path; peak memory. Checks shipgate's per-rule results against the peers'
(a mismatch fails the run). Prints one table and writes it to target/bench/results.md."""
import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "bench"
PEERS = HERE / "peers"
OUT = ROOT / "target" / "bench"
WORK = OUT / "work"

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--shipgate", required=True, help="release build of the shipgate binary")
ap.add_argument("--bench-bin", required=True, help="release build of engine/benches/peers.rs")
ap.add_argument("--peers-home", required=True)
ap.add_argument("--sizes", default="1000,10000,100000", help="workload sizes (components)")
ap.add_argument("--quick", action="store_true", help="10k only, fewer repetitions")
ap.add_argument("--cel-timeout", type=float, default=60.0,
                help="seconds a shipgate CEL run may take before it is stopped (the Rust cel crate is slow)")
ap.add_argument("--out", default=str(OUT / "results.md"))
args = ap.parse_args()
# Children run in other directories: make every path absolute.
args.shipgate, args.bench_bin, args.peers_home = (str(Path(a).resolve())
                                                  for a in (args.shipgate, args.bench_bin, args.peers_home))

SIZES = [10000] if args.quick else [int(s) for s in args.sizes.split(",")]
# Repetitions per size: per-evaluation iterations, whole-process runs.
ITERS = {1000: 20, 10000: 10, 100000: 3}
RUNS = {1000: 7, 10000: 11, 100000: 3}
if args.quick:
    ITERS, RUNS = {10000: 5}, {10000: 3}
TARGET = 10000  # the size the targets are stated for
OPA_PY = Path(args.peers_home) / "venv-opa" / "bin" / "python"
CEL_JS = Path(args.peers_home) / "npm" / "node_modules" / "@marcbachmann" / "cel-js"
RULES = json.loads((PEERS / "cel_rules.json").read_text())  # {"R01": "<CEL condition>", ...}

notes, failures = [], []
LOAD_START = os.getloadavg()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


# --- processes ---------------------------------------------------------------------------

class Proc:
    def __init__(self, rc, wall, maxrss_kb, stdout, stderr, timed_out):
        self.rc, self.wall, self.maxrss_kb = rc, wall, maxrss_kb
        self.stdout, self.stderr, self.timed_out = stdout, stderr, timed_out


def run(cmd, timeout=None, cwd=None, env=None):
    """Runs cmd; wall time (s), its own peak RSS (KiB, from wait4) and output.
    Output goes to files, not pipes, so a chatty child cannot block and the timing
    includes no reader thread."""
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / ".stdout", "w+b") as out, open(WORK / ".stderr", "w+b") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, cwd=cwd, env=env)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(p.returncode, wall, ru.ru_maxrss, out.read().decode(errors="replace"),
                    err.read().decode(errors="replace"), bool(killed))


def json_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


TIME = shutil.which("time", path="/usr/bin:/bin")
if not TIME:
    notes.append("no /usr/bin/time: peak RSS comes from wait4, which also counts the driver's own memory "
                 "(the kernel carries a forked child's high-water mark across exec): an upper bound")


def peak_rss_mib(cmd, cwd=None, env=None):
    """Peak RSS of cmd alone. wait4 on our own child would report at least this Python
    process's size (a forked child inherits the high-water mark across exec), so GNU time,
    a small process, measures it."""
    if not TIME:
        return run(cmd, cwd=cwd, env=env).maxrss_kb / 1024
    out = WORK / ".rss"
    run([TIME, "-f", "%M", "-o", out] + list(cmd), cwd=cwd, env=env)
    try:
        return int(out.read_text().split()[-1]) / 1024
    except (ValueError, IndexError, OSError):
        return None


def whole(cmd, runs, ok_codes=(0,), cwd=None, env=None, warm=1):
    """Median wall time (ms) of `runs` runs after `warm` warm-ups, and peak RSS (MiB)
    from one more run."""
    walls, last = [], None
    for i in range(warm + runs):
        r = run(cmd, cwd=cwd, env=env)
        if r.rc not in ok_codes:
            raise RuntimeError(f"{' '.join(map(str, cmd))} exited {r.rc}: {r.stderr[-2000:]}")
        last = r
        if i >= warm:
            walls.append(r.wall * 1e3)
    return median(walls), peak_rss_mib(cmd, cwd=cwd, env=env), last


def alternated(cmds, runs, ok_codes=(0,), cwd=None, warm=1):
    """Median wall time (ms) of each of `cmds` ({name: cmd}), run one after the other
    `runs` times (after `warm` rounds): a ratio between two of them is read on the same
    machine at the same moments, not minutes apart."""
    walls = {name: [] for name in cmds}
    for i in range(warm + runs):
        for name, cmd in cmds.items():
            r = run(cmd, cwd=cwd)
            if r.rc not in ok_codes:
                raise RuntimeError(f"{' '.join(map(str, cmd))} exited {r.rc}: {r.stderr[-2000:]}")
            if i >= warm:
                walls[name].append(r.wall * 1e3)
    return {name: median(w) for name, w in walls.items()}


# --- workload ----------------------------------------------------------------------------

def workload(n):
    p = WORK / f"input-{n}.json"
    if not p.exists():
        with open(p, "w") as f:
            subprocess.run([sys.executable, PEERS / "gen_input.py", str(n)], stdout=f, check=True)
    return p


def cyclonedx(n):
    """The workload as a CycloneDX 1.6 SBOM, for `shipgate check` (made by another
    process, so this one stays small)."""
    p = WORK / f"sbom-{n}.cdx.json"
    if not p.exists():
        subprocess.run([sys.executable, HERE / "make_sbom.py", workload(n), p], check=True)
    return p


def rego_bundle(only=None):
    """The workload's Rego as a shipgate bundle: one rule naming package
    `releasegate.sbom`, whose `deny` set OPA evaluates too. `only` keeps the k-th
    deny rule alone (what each rule costs)."""
    d = WORK / (f"bundle-rego-r{only:02d}" if only else "bundle-rego")
    d.mkdir(parents=True, exist_ok=True)
    text = (PEERS / "policy.rego").read_text()
    if only:
        kept, seen = [], 0
        for line in text.splitlines():
            if line.startswith("deny contains"):
                seen += 1
                if seen != only:
                    continue
            kept.append(line)
        text = "\n".join(kept) + "\n"
    (d / "policy.rego").write_text(text)
    (d / "bundle.toml").write_text(
        '[bundle]\nname = "bench-rego"\nversion = "0.0.0"\nengine = "rego"\n\n'
        '[[rule]]\nid = "bench.sbom"\ntitle = "The workload\'s deny rules"\nseverity = "deny"\n'
        'description = "tests/bench/peers/policy.rego, evaluated as OPA evaluates it"\n'
        'remediation = "none"\nrego = "releasegate.sbom"\n')
    return d


def shipped_rule_bundles():
    """policies/sbom cut into one bundle per rule (same modules, same params), to see
    what each shipped rule costs."""
    src = ROOT / "policies" / "sbom"
    text = (src / "bundle.toml").read_text()
    head, *blocks = text.split("[[rule]]")
    out = []
    for b in blocks:
        rid = b.split('id = "', 1)[1].split('"', 1)[0]
        d = WORK / f"shipped-{rid}"
        if d.exists():
            shutil.rmtree(d)
        shutil.copytree(src, d, ignore=shutil.ignore_patterns("tests"))
        (d / "bundle.toml").write_text(head + "[[rule]]" + b)
        out.append((rid, d))
    return out


def cel_bundle(only=None):
    """The workload's CEL as a shipgate bundle: one rule per workload rule, the same
    condition as cel_expr.txt, returning the matching components' names. CEL rules
    name the input's top-level documents, so the components are `sboms[0]`. `only`
    keeps the k-th rule alone."""
    d = WORK / (f"bundle-cel-r{only:02d}" if only else "bundle-cel")
    d.mkdir(parents=True, exist_ok=True)
    parts = ['[bundle]\nname = "bench-cel"\nversion = "0.0.0"\nengine = "cel"\n']
    for k, (rid, cond) in enumerate(RULES.items(), 1):
        if only and k != only:
            continue
        expr = f"sboms[0].components.filter(c, {cond}).map(c, c.name)"
        parts.append(f'[[rule]]\nid = "bench.r{rid[1:]}"\ntitle = "{rid}"\nseverity = "deny"\n'
                     f'description = "{rid}"\nremediation = "none"\ncel-expression = {json.dumps(expr)}\n')
    (d / "bundle.toml").write_text("\n".join(parts))
    return d


def norm(by_rule):
    return {r: sorted(set(by_rule.get(r, []))) for r in RULES}


def opa_by_rule(doc):
    """opa_cli.py's output (deny messages `R05 name: ...`) as {rule: names}."""
    out = {r: set() for r in RULES}
    try:
        msgs = doc["result"][0]["expressions"][0]["value"]
    except (KeyError, IndexError):
        msgs = []
    for m in msgs:
        rule, rest = m.split(" ", 1)
        out.setdefault(rule, set()).add(rest.split(": ", 1)[0])
    return norm(out)


def diff(name, ours, theirs):
    bad = []
    for r in RULES:
        a, b = set(ours.get(r, [])), set(theirs.get(r, []))
        if a != b:
            bad.append(f"{r}: {len(a - b)} extra ({sorted(a - b)[:3]}), {len(b - a)} missing ({sorted(b - a)[:3]})")
    if bad:
        failures.append(f"{name}: " + "; ".join(bad))
    return not bad


# --- measurements ------------------------------------------------------------------------

have_opa = OPA_PY.exists()
have_celjs = CEL_JS.exists() and shutil.which("node")
if not have_opa:
    notes.append(f"OPA skipped: no {OPA_PY} (run.sh could not install opa-golib-python-bindings)")
if not have_celjs:
    notes.append(f"cel-js skipped: no node or no {CEL_JS} (run.sh could not install it)")

peer_env = dict(os.environ, PEERS_HOME=args.peers_home)
R = {}  # (what, size) -> figure
correct = []  # (size, comparison, ok)

rego_b, cel_b = rego_bundle(), cel_bundle()
for n in SIZES:
    inp = workload(n)
    it = ITERS.get(n, 3)
    log(f"== {n} components")
    # OPA, per evaluation: the reference harness as is.
    if have_opa:
        r = run([OPA_PY, PEERS / "bench_opa_golib.py", PEERS / "policy.rego", inp,
                 "data.releasegate.sbom.deny", str(it)], cwd=PEERS)
        med = [w for w in r.stderr.split() if w.startswith("median=")]
        if r.rc == 0 and med:
            R["opa_eval", n] = float(med[0][len("median="):-2])
        else:
            notes.append(f"OPA per-evaluation failed at {n}: {r.stderr[-300:]}")
        # OPA, whole process (`opa eval`-like), and its results for the comparison.
        try:
            R["opa_proc", n], R["opa_rss", n], last = whole(
                [OPA_PY, PEERS / "opa_cli.py", "-d", PEERS / "policy.rego", "-i", inp,
                 "data.releasegate.sbom.deny"], RUNS.get(n, 3))
            R["opa_results", n] = opa_by_rule(json.loads(last.stdout))
        except RuntimeError as e:
            notes.append(f"OPA whole process failed at {n}: {e}")
        log(f"   OPA: eval {R.get(('opa_eval', n))} ms, process {R.get(('opa_proc', n))} ms")
    # cel-js, per evaluation and whole process.
    if have_celjs:
        res = WORK / f"celjs-{n}.json"
        r = run(["node", HERE / "cel_js_peer.mjs", "bench", inp, str(it), res], env=peer_env)
        lines = json_lines(r.stdout)
        if r.rc == 0 and lines:
            R["celjs_eval", n] = lines[-1]["median_ms"]
            R["celjs_results", n] = norm(json.loads(res.read_text()))
        else:
            notes.append(f"cel-js failed at {n}: {r.stderr[-300:]}")
        try:
            R["celjs_proc", n], R["celjs_rss", n], _ = whole(
                ["node", HERE / "cel_js_peer.mjs", "once", inp], RUNS.get(n, 3), env=peer_env)
        except RuntimeError as e:
            notes.append(f"cel-js whole process failed at {n}: {e}")
        log(f"   cel-js: eval {R.get(('celjs_eval', n))} ms, process {R.get(('celjs_proc', n))} ms")
    # shipgate, per evaluation: compile once, convert the input once, evaluate N times.
    for lang, bundle, timeout in (("rego", rego_b, None), ("cel", cel_b, args.cel_timeout)):
        res = WORK / f"shipgate-{lang}-{n}.json"
        res.unlink(missing_ok=True)
        warm = 2 if lang == "rego" else 0
        cmd = [args.bench_bin, "eval", "--lang", lang, "--bundle", bundle, "--input", inp,
               "--iters", str(it if lang == "rego" else min(it, 3)), "--warmup", str(warm),
               "--results", res]
        r = run(cmd, timeout=timeout)
        ev = json_lines(r.stdout)
        first = next((e for e in ev if e.get("event") == "first"), None)
        done = next((e for e in ev if e.get("event") == "done"), None)
        iters = [e["ms"] for e in ev if e.get("event") == "iter"]
        if first:
            R[f"{lang}_first", n] = first
        if res.exists():
            R[f"{lang}_results", n] = norm(json.loads(res.read_text()))
        if done:
            R[f"{lang}_eval", n] = done["median_ms"]
        elif r.timed_out:
            R[f"{lang}_timeout", n] = (timeout, first["first_ms"] if first else None, median(iters))
        else:
            notes.append(f"shipgate {lang} per-evaluation failed at {n} (exit {r.rc}): {r.stderr[-500:]}")
        log(f"   shipgate {lang}: eval {R.get((f'{lang}_eval', n))} ms"
            + (f" (timeout after {timeout:.0f} s)" if r.timed_out else ""))
    # Correctness, rule by rule.
    if ("opa_results", n) in R and ("rego_results", n) in R:
        correct.append((n, "shipgate Rego = OPA", diff(f"Rego {n}", R["rego_results", n], R["opa_results", n])))
    if ("celjs_results", n) in R and ("cel_results", n) in R:
        correct.append((n, "shipgate CEL = cel-js", diff(f"CEL {n}", R["cel_results", n], R["celjs_results", n])))
    if n == 10000 and not have_opa and ("rego_results", n) in R:
        exp = norm(json.loads((PEERS / "expected_by_rule.json").read_text()))
        correct.append((n, "shipgate Rego = stored OPA results (OPA missing)", diff("Rego 10000 (stored)", R["rego_results", n], exp)))
    if ("cel_results", n) not in R and ("celjs_results", n) in R:
        correct.append((n, "shipgate CEL = cel-js", None))

def eval_median(cmd, timeout=None):
    r = run(cmd, timeout=timeout)
    done = [e for e in json_lines(r.stdout) if e.get("event") == "done"]
    return done[0]["median_ms"] if done else None


# What each rule costs, alone, at 10k components; linear in rules means the 20 together
# cost about the sum of each alone.
if TARGET in SIZES:
    log("== per rule, 10k components")
    for k in range(1, len(RULES) + 1):
        R["rego_rule", k] = eval_median([args.bench_bin, "eval", "--lang", "rego", "--bundle", rego_bundle(k),
                                         "--input", workload(TARGET), "--iters", "3", "--warmup", "1"])
        R["cel_rule", k] = eval_median([args.bench_bin, "eval", "--lang", "cel", "--bundle", cel_bundle(k),
                                        "--input", workload(TARGET), "--iters", "3", "--warmup", "1"])
    # regorus and the cel crate called directly: the steps below the public API.
    r = run([args.bench_bin, "profile", "--lang", "rego", "--input", workload(TARGET),
             "--policy", PEERS / "policy.rego", "--iters", "3"])
    R["rego_profile"] = [e for e in json_lines(r.stdout) if e.get("event") == "step"]
    r = run([args.bench_bin, "profile", "--lang", "cel", "--input", workload(TARGET),
             "--rules", PEERS / "cel_rules.json", "--iters", "3"], timeout=args.cel_timeout * 2)
    ev = json_lines(r.stdout)
    R["cel_profile"] = [e for e in ev if e.get("event") == "step"]
    R["cel_rule_profile"] = {e["rule"]: e["ms"] for e in ev if e.get("event") == "rule"}
    if r.timed_out:
        notes.append(f"the per-rule CEL profile was stopped after {args.cel_timeout * 2:.0f} s")
    # The shipped sbom bundle, rule by rule, in process (load, evaluate).
    for rid, d in shipped_rule_bundles():
        r = run([args.bench_bin, "check", "--sbom", cyclonedx(TARGET), "--bundle", d, "--iters", "3"])
        ev = json_lines(r.stdout)
        if ev:
            R["shipped_rule", rid] = ev[-1]["evaluate_ms"]

# Whole process: `shipgate check` on the workload as CycloneDX, with policies/sbom; OPA on
# the same Rego and the same input document; the floor; in-process breakdown.
sbom_bundle = ROOT / "policies" / "sbom"
for n in SIZES:
    log(f"== shipgate check, {n} components")
    sbom = cyclonedx(n)
    R["sbom_bytes", n] = sbom.stat().st_size
    runs = RUNS.get(n, 3)
    R["check_proc", n], R["check_rss", n], last = whole(
        [args.shipgate, "check", "--sbom", sbom, "--bundle", sbom_bundle, "--no-ledger",
         "--now", "2026-11-23T12:00:00Z"], runs, ok_codes=(0, 1), cwd=WORK, warm=0 if n >= 100000 else 1)
    # The bundle's rules run in CEL by default; its Rego implementations too, for the record.
    R["check_rego_proc", n], R["check_rego_rss", n], _ = whole(
        [args.shipgate, "check", "--sbom", sbom, "--bundle", sbom_bundle, "--no-ledger", "--engine", "rego",
         "--now", "2026-11-23T12:00:00Z"], runs, ok_codes=(0, 1), cwd=WORK, warm=0 if n >= 100000 else 1)
    doc, data = WORK / f"check-input-{n}.json", WORK / "check-data.json"
    r = run([args.bench_bin, "check", "--sbom", sbom, "--bundle", sbom_bundle, "--iters", str(runs),
             "--dump-input", doc, "--dump-data", data])
    ev = json_lines(r.stdout)
    if ev:
        R["check_steps", n] = ev[-1]
    r = run([args.bench_bin, "floor", "--sbom", sbom, "--iters", str(runs)])
    ev = json_lines(r.stdout)
    if ev:
        R["floor", n] = ev[-1]
    # The floor as the whole-process figure it is compared with: a process that reads the
    # SBOM, parses it and exits (the bench program, with the binary's allocator), run in
    # turn with `shipgate check`, so both pay process start and first touches of fresh
    # memory and see the same machine.
    floors = {"check": [args.shipgate, "check", "--sbom", sbom, "--bundle", sbom_bundle, "--no-ledger",
                        "--now", "2026-11-23T12:00:00Z"]}
    for into in ("value", "doc", "evidence"):
        floors[into] = [args.bench_bin, "parse", "--sbom", sbom, "--into", into]
    try:
        R["floor_proc", n] = alternated(floors, runs, ok_codes=(0, 1), cwd=WORK, warm=0 if n >= 100000 else 1)
    except RuntimeError as e:
        notes.append(f"whole-process floors failed at {n}: {e}")
    if have_opa and doc.exists():
        modules = sorted(p for p in sbom_bundle.glob("*.rego") if not p.name.endswith("_test.rego"))
        cmd = [OPA_PY, PEERS / "opa_cli.py"] + [a for m in modules for a in ("-d", m)] + \
              ["-d", data, "-i", doc, "data.shipgate.sbom"]
        try:
            R["opa_check_proc", n], R["opa_check_rss", n], _ = whole(cmd, runs, warm=0 if n >= 100000 else 1)
        except RuntimeError as e:
            notes.append(f"OPA on policies/sbom failed at {n}: {e}")
    log(f"   check {R.get(('check_proc', n))} ms, OPA {R.get(('opa_check_proc', n))} ms, "
        f"floor {R.get(('floor', n))}")

# The pre-commit path: the small example release, whole process, warm; and its steps.
R["precommit"], R["precommit_rss"], _ = whole(
    [args.shipgate, "check", ROOT / "examples" / "edge-agent-pass", "--no-ledger"], 20,
    ok_codes=(0,), cwd=ROOT, warm=3)
r = run([args.bench_bin, "check", "--config", ROOT / "examples" / "edge-agent-pass" / "shipgate.toml", "--iters", "10"])
ev = json_lines(r.stdout)
if ev:
    R["precommit_steps"] = ev[-1]
R["version_proc"], _, _ = whole([args.shipgate, "--version"], 20, cwd=ROOT, warm=3)

# --- the table ---------------------------------------------------------------------------

def f_ms(x):
    return "—" if x is None else (f"{x:,.0f} ms" if x >= 100 else f"{x:.1f} ms")


def f_mib(x):
    return "—" if x is None else f"{x:.0f} MiB"


def verdict(ok):
    return "—" if ok is None else ("PASS" if ok else "MISS")


def ratio(a, b):
    return a / b if a is not None and b else None


def f_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def cel_figure(n):
    if ("cel_eval", n) in R:
        return f_ms(R["cel_eval", n])
    if ("cel_timeout", n) in R:
        t, first, _ = R["cel_timeout", n]
        return f"timeout after {t:.0f} s" + (f" (1st eval {first / 1e3:.1f} s)" if first else "")
    return "—"


rows = []  # target, measured, goal, ratio, verdict


def target(name, measured, goal, r, ok):
    rows.append((name, measured, goal, r, ok))


t = TARGET
r = ratio(R.get(("opa_eval", t)), R.get(("rego_eval", t)))
target("Rego per evaluation, 10k × 20 rules: OPA ÷ shipgate",
       f"OPA {f_ms(R.get(('opa_eval', t)))}, shipgate {f_ms(R.get(('rego_eval', t)))}", "≥ 5×",
       f_ratio(r), verdict(None if r is None else r >= 5))
r = ratio(R.get(("opa_check_proc", t)), R.get(("check_proc", t)))
target("Whole process, 10k-component CycloneDX SBOM, policies/sbom: OPA ÷ `shipgate check`",
       f"OPA {f_ms(R.get(('opa_check_proc', t)))}, shipgate {f_ms(R.get(('check_proc', t)))}", "≥ 3×",
       f_ratio(r), verdict(None if r is None else r >= 3))
r = ratio(R.get(("opa_check_proc", t)), R.get(("check_rego_proc", t)))
target("… the same with the bundle's Rego implementations (`--engine rego`)",
       f"OPA {f_ms(R.get(('opa_check_proc', t)))}, shipgate {f_ms(R.get(('check_rego_proc', t)))}", "≥ 3×",
       f_ratio(r), verdict(None if r is None else r >= 3))
if ("cel_eval", t) in R:
    r = ratio(R.get(("celjs_eval", t)), R["cel_eval", t])
    target("CEL per evaluation, 10k × 20 rules: cel-js ÷ shipgate",
           f"cel-js {f_ms(R.get(('celjs_eval', t)))}, shipgate {cel_figure(t)}", "≥ 1×", f_ratio(r),
           verdict(None if r is None else r >= 1))
else:
    target("CEL per evaluation, 10k × 20 rules: cel-js ÷ shipgate",
           f"cel-js {f_ms(R.get(('celjs_eval', t)))}, shipgate {cel_figure(t)}", "≥ 1×", "—",
           f"MISS ({cel_figure(t)})" if ("cel_timeout", t) in R else "—")
# Whole process ÷ floor: `shipgate check` against a process that merely reads the SBOM and
# parses it into a serde_json Value, both whole processes, run in turn (the target). The
# same against stricter floors, for information: a process that parses into shipgate's
# own document (its SBOM loader's faster parse) or runs Evidence::load (parse, schema
# check, normalise), and the in-process floors (warm loop: no process start, memory
# already faulted in).
fp = R.get(("floor_proc", t), {})
r = ratio(fp.get("check"), fp.get("value"))
target("Whole process ÷ floor, 10k SBOM: `shipgate check` ÷ a process that reads it and parses it "
       "into a serde_json Value (whole processes, run in turn)",
       f"check {f_ms(fp.get('check'))}, floor {f_ms(fp.get('value'))}", "≤ 2×", f_ratio(r),
       verdict(None if r is None else r <= 2))
for key, what in (("doc", "parses it into shipgate's document, as its SBOM loader does"),
                  ("evidence", "runs Evidence::load: parse, schema check, normalise")):
    target(f"… for information: ÷ a process that {what}",
           f"check {f_ms(fp.get('check'))}, floor {f_ms(fp.get(key))}", "—",
           f_ratio(ratio(fp.get("check"), fp.get(key))), "info")
fl = R.get(("floor", t), {})
for key, what in (("read_parse_ms", "read + parse into a serde_json Value"),
                  ("read_doc_ms", "read + parse into shipgate's document"),
                  ("evidence_load_ms", "Evidence::load")):
    target(f"… for information: `shipgate check` ÷ the floor in one warm process ({what})",
           f"check {f_ms(R.get(('check_proc', t)))}, floor {f_ms(fl.get(key))}", "—",
           f_ratio(ratio(R.get(("check_proc", t)), fl.get(key))), "info")
target("Pre-commit path: `shipgate check examples/edge-agent-pass --no-ledger`",
       f"{f_ms(R.get('precommit'))}, {f_mib(R.get('precommit_rss'))}", "< 20 ms", "—",
       verdict(R.get("precommit") is not None and R["precommit"] < 20))
for n in SIZES:
    if R.get(("check_rss", n)) is not None:
        mib = R["sbom_bytes", n] / 2**20
        limit = 3 * mib + 30
        target(f"Peak memory, `shipgate check`, {n:,} components ({mib:.1f} MiB SBOM)",
               f"{R['check_rss', n]:.0f} MiB", f"≤ {limit:.0f} MiB", f_ratio(R["check_rss", n] / limit),
               verdict(R["check_rss", n] <= limit))


def growth(key):
    """Time ratio for each 10× step in components; linear means ≤ 12× (20% slack for noise)."""
    steps = []
    for a, b in ((1000, 10000), (10000, 100000)):
        if (key, a) in R and (key, b) in R:
            steps.append(R[key, b] / R[key, a])
    return steps


for key, what in (("rego_eval", "shipgate Rego per evaluation"), ("check_proc", "`shipgate check` whole process")):
    g = growth(key)
    if g:
        target(f"Linear in components: {what}, time × per 10× components",
               ", ".join(f"{x:.1f}×" for x in g), "≤ 12× each", "—", verdict(all(x <= 12 for x in g)))
singles = [R.get(("rego_rule", k)) for k in range(1, len(RULES) + 1)]
if all(x is not None for x in singles) and ("rego_eval", TARGET) in R:
    x = R["rego_eval", TARGET] / sum(singles)
    target("Linear in rules: shipgate Rego 10k, all 20 rules ÷ Σ each rule alone",
           f"{f_ms(R['rego_eval', TARGET])} ÷ {f_ms(sum(singles))}", "≤ 1.2×", f"{x:.2f}×", verdict(x <= 1.2))

lines = []
p = lines.append
load = os.getloadavg()
p(f"# shipgate benchmark against its peers\n")
p(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {platform.machine()}, {os.cpu_count()} cores · "
  f"load average (1/5/15 min) at the start {LOAD_START[0]:.2f} / {LOAD_START[1]:.2f} / {LOAD_START[2]:.2f}, "
  f"at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} · medians\n")
p("## Targets (issue 6)\n")
p("| target | measured | goal | ratio | |")
p("|---|---|---|---|---|")
for row in rows:
    p("| " + " | ".join(row) + " |")
p("\n## Per evaluation, 20 rules (compiled once, input converted once)\n")
p("| components | OPA v1.20 | shipgate Rego | OPA ÷ shipgate | cel-js 8 | shipgate CEL | cel-js ÷ shipgate |")
p("|---|---|---|---|---|---|---|")
for n in SIZES:
    p(f"| {n:,} | {f_ms(R.get(('opa_eval', n)))} | {f_ms(R.get(('rego_eval', n)))} | "
      f"{f_ratio(ratio(R.get(('opa_eval', n)), R.get(('rego_eval', n))))} | {f_ms(R.get(('celjs_eval', n)))} | "
      f"{cel_figure(n)} | {f_ratio(ratio(R.get(('celjs_eval', n)), R.get(('cel_eval', n))))} |")
p("\n## Whole processes\n")
p("| components | SBOM | `shipgate check` | peak RSS | `--engine rego` | peak RSS | OPA, same Rego and input | peak RSS | "
  "OPA ÷ shipgate |")
p("|---|---|---|---|---|---|---|---|---|")
for n in SIZES:
    p(f"| {n:,} | {R.get(('sbom_bytes', n), 0) / 2**20:.1f} MiB | {f_ms(R.get(('check_proc', n)))} | "
      f"{f_mib(R.get(('check_rss', n)))} | {f_ms(R.get(('check_rego_proc', n)))} | {f_mib(R.get(('check_rego_rss', n)))} | "
      f"{f_ms(R.get(('opa_check_proc', n)))} | {f_mib(R.get(('opa_check_rss', n)))} | "
      f"{f_ratio(ratio(R.get(('opa_check_proc', n)), R.get(('check_proc', n))))} |")
p("\n## The floor: reading and parsing the SBOM only\n")
p("Whole processes run in turn with `shipgate check` (its figure here is from the same "
  "alternating runs), then the same parses in one warm process (no process start, memory "
  "already faulted in: stricter than any process that reads the file).\n")
p("| components | `shipgate check` | process: parse into a `Value` | check ÷ it | process: parse into "
  "shipgate's document | process: `Evidence::load` | in process: `Value` | in process: document | "
  "in process: `Evidence::load` |")
p("|---|---|---|---|---|---|---|---|---|")
for n in SIZES:
    fp, fl = R.get(("floor_proc", n), {}), R.get(("floor", n), {})
    p(f"| {n:,} | {f_ms(fp.get('check'))} | {f_ms(fp.get('value'))} | "
      f"{f_ratio(ratio(fp.get('check'), fp.get('value')))} | {f_ms(fp.get('doc'))} | {f_ms(fp.get('evidence'))} | "
      f"{f_ms(fl.get('read_parse_ms'))} | {f_ms(fl.get('read_doc_ms'))} | {f_ms(fl.get('evidence_load_ms'))} |")
p("\nThe workload itself as whole processes (read the input, compile, evaluate once, print):\n")
p("| components | OPA (`opa_cli.py`) | peak RSS | cel-js | peak RSS |")
p("|---|---|---|---|---|")
for n in SIZES:
    p(f"| {n:,} | {f_ms(R.get(('opa_proc', n)))} | {f_mib(R.get(('opa_rss', n)))} | "
      f"{f_ms(R.get(('celjs_proc', n)))} | {f_mib(R.get(('celjs_rss', n)))} |")
p("\n## Where `shipgate check`'s time goes (in process, medians)\n")
p("| components | whole process | gate::load (evidence + bundles) | of which bundle load | gate::evaluate | "
  "of which input document + JSON text | of which regorus converting it | render text |")
p("|---|---|---|---|---|---|---|---|")
for n in SIZES:
    s = R.get(("check_steps", n), {})
    p(f"| {n:,} | {f_ms(R.get(('check_proc', n)))} | {f_ms(s.get('load_ms'))} | {f_ms(s.get('bundle_load_ms'))} | "
      f"{f_ms(s.get('evaluate_ms'))} | {f_ms(s.get('input_document_ms'))} | {f_ms(s.get('rego_convert_ms'))} "
      f"({s.get('input_json_bytes', 0) / 2**20:.1f} MiB of JSON) | {f_ms(s.get('render_ms'))} |")
ps = R.get("precommit_steps")
if ps:
    p(f"\nPre-commit path (examples/edge-agent-pass: manifest, 2 small SBOMs, sbom + provenance bundles), in process: "
      f"gate::load {f_ms(ps['load_ms'])} (of which bundle load {f_ms(ps['bundle_load_ms'])}), "
      f"evaluate {f_ms(ps['evaluate_ms'])}, render {f_ms(ps['render_ms'])}; whole process {f_ms(R.get('precommit'))}; "
      f"`shipgate --version` as a process {f_ms(R.get('version_proc'))}.")
if any(("rego_rule", k) in R for k in range(1, 21)):
    p("\n## What each rule costs, 10k components\n")
    p("The workload's rules one at a time (shipgate: a bundle with that one rule, `Bundle::evaluate`; "
      "the `cel` crate alone running that rule's filter, as shipgate's CEL backend did before its direct "
      "evaluator — `—` for the rules using `matches()`, which the crate is built without: shipgate "
      "provides it):\n")
    p("| rule | condition (CEL form) | shipgate Rego | shipgate CEL | `cel` crate alone |")
    p("|---|---|---|---|---|")
    cp = {r: ms for r, ms in R.get("cel_rule_profile", {}).items() if ms is not None}
    cel_singles = [R.get(("cel_rule", k)) for k in range(1, len(RULES) + 1)]
    for k, (rid, cond) in enumerate(RULES.items(), 1):
        p(f"| {rid} | `{cond}` | {f_ms(R.get(('rego_rule', k)))} | {f_ms(R.get(('cel_rule', k)))} "
          f"| {f_ms(cp.get(rid))} |")
    p(f"| Σ | | {f_ms(sum(x for x in singles if x))} | {f_ms(sum(x for x in cel_singles if x))} "
      f"| {f_ms(sum(cp.values()) if cp else None)} (rules it runs) |")
    steps = R.get("rego_profile", []) + R.get("cel_profile", [])
    if steps:
        p("\nBelow the public API (regorus / `cel` called directly on the 10k workload):\n")
        p("| step | median |")
        p("|---|---|")
        for e in steps:
            p(f"| {e['step']} | {f_ms(e['median_ms'])} |")
    shipped = [(k[1], v) for k, v in R.items() if isinstance(k, tuple) and k[0] == "shipped_rule"]
    if shipped:
        p("\nThe shipped `policies/sbom` rules one at a time on the 10k CycloneDX SBOM (`Bundle::evaluate` in "
          "`gate::evaluate`, in process):\n")
        p("| rule | evaluate |")
        p("|---|---|")
        for rid, v in shipped:
            p(f"| {rid} | {f_ms(v)} |")
p("\nshipgate per-evaluation runs, first evaluation (includes converting the input into the engine's value type):\n")
p("| components | language | bundle load (compile) | read + parse input | PreparedInput::new | first evaluation |")
p("|---|---|---|---|---|---|")
for n in SIZES:
    for lang in ("rego", "cel"):
        fi = R.get((f"{lang}_first", n))
        if fi:
            p(f"| {n:,} | {lang} | {f_ms(fi['compile_ms'])} | {f_ms(fi['parse_ms'])} | {f_ms(fi['prepare_ms'])} | {f_ms(fi['first_ms'])} |")
p("\n## Correctness: shipgate's results rule by rule against the peer's\n")
p("| components | comparison | |")
p("|---|---|---|")
for n, what, ok in correct:
    p(f"| {n:,} | {what} | {'equal on all 20 rules' if ok else ('DIFFERENT' if ok is False else 'not compared: shipgate CEL gave no result in time')} |")
if failures:
    p("\nDifferences:\n")
    for f in failures:
        p(f"- {f}")
if notes:
    p("\nNotes:\n")
    for nt in notes:
        p(f"- {nt}")
text = "\n".join(lines) + "\n"
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
Path(args.out).write_text(text)
(OUT / "results.json").write_text(json.dumps({f"{k[0]}@{k[1]}" if isinstance(k, tuple) else k: v
                                              for k, v in R.items()}, indent=1, default=str))
print(text)
log(f"written to {args.out}")
sys.exit(1 if failures else 0)
