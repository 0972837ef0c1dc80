// cel-js (@marcbachmann/cel-js 8) on the workload, for tests/bench/bench.py.
// Adapted from peers/bench_cel_js.mjs: same expression (peers/cel_expr.txt), parsed
// once and evaluated many times, but it reports JSON and writes the per-rule results
// so the driver can compare them with shipgate's at every workload size.
//   node cel_js_peer.mjs bench INPUT.json ITERS RESULTS.json   -> one JSON line of timings
//   node cel_js_peer.mjs once INPUT.json                       -> the per-rule results (a whole process)
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {createRequire} from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const req = createRequire(path.join(process.env.PEERS_HOME || '.', 'npm', 'package.json'))
const [mode, inputPath, itersArg, resultsPath] = process.argv.slice(2)
const expr = fs.readFileSync(path.join(here, 'peers', 'cel_expr.txt'), 'utf8')
const {parse} = await import(req.resolve('@marcbachmann/cel-js'))

// {R01: [names]} with unique sorted names, whatever container the engine returns.
const byRule = (m) => {
  const entries = m instanceof Map ? [...m.entries()] : Object.entries(m)
  return Object.fromEntries(entries.map(([k, v]) => [k, [...new Set([...v].map(String))].sort()]))
}

const inp = JSON.parse(fs.readFileSync(inputPath, 'utf8'))
const prog = parse(expr)
if (mode === 'once') {
  process.stdout.write(JSON.stringify(byRule(prog({input: inp}))) + '\n')
} else {
  const iters = Number(itersArg || 10)
  let t0 = performance.now()
  let r = prog({input: inp})
  const first = performance.now() - t0
  if (resultsPath) fs.writeFileSync(resultsPath, JSON.stringify(byRule(r)))
  for (let i = 0; i < 3; i++) prog({input: inp})
  const ts = []
  for (let i = 0; i < iters; i++) {
    t0 = performance.now(); r = prog({input: inp}); ts.push(performance.now() - t0)
  }
  ts.sort((a, b) => a - b)
  const n = ts.length
  const median = n % 2 ? ts[n >> 1] : (ts[n / 2 - 1] + ts[n / 2]) / 2
  process.stdout.write(JSON.stringify({first_ms: first, median_ms: median, min_ms: ts[0], n}) + '\n')
}
