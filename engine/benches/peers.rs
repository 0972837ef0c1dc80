//! shipgate's side of the peer benchmark (issue 6): the engine measured
//! through its public API on the same workload as OPA and cel-js.
//!
//! `tests/bench/run.sh` drives it: it builds the workload and the bundles,
//! runs the peers, runs this program in subcommands, checks the results
//! rule by rule and prints the table. This program only measures and reports,
//! one JSON object per line on stdout, so the driver can read what a run
//! printed before it was stopped by a timeout (the Rust `cel` crate needs
//! minutes on the larger workloads):
//!
//! - `eval`: loads (compiles) a bundle once, reads and converts the input
//!   once, then times `Bundle::evaluate` — the engine evaluating every rule
//!   of the bundle, input conversion cached — `--iters` times.
//! - `floor`: reading and parsing an SBOM only: raw JSON, and shipgate's
//!   `Evidence::load` (parse, schema check, normalise).
//! - `check`: `shipgate check`'s steps in process (load, evaluate, render),
//!   each timed; optionally writes the policy input document and the bundle
//!   parameters so OPA can run the shipped Rego on exactly the same input.
//! - `profile`: where an evaluation's time goes, below the public API:
//!   regorus and the `cel` crate called directly, one step at a time.
//!
//! It is a `[[bench]]` with `harness = false` rather than an example: `cargo
//! test` builds examples but not benches, so it costs the test suite nothing.
//! Run alone (as `cargo bench` does) it only says how to run the benchmark.

/// The allocator the `shipgate` binary uses (cli/src/lib.rs), configured as
/// it configures it, so the engine is measured as it ships.
#[global_allocator]
static ALLOCATOR: shipgate_alloc::MiMalloc = shipgate_alloc::MiMalloc;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use shipgate_engine::backend::guard::EvalLimits;
use shipgate_engine::backend::{PreparedInput, RuleEval};
use shipgate_engine::bundle::BundleLimits;
use shipgate_engine::config::BundleConfig;
use shipgate_engine::evidence::sbom::SbomOptions;
use shipgate_engine::evidence::set::{Evidence, EvidencePaths, LoadOptions};
use shipgate_engine::{Bundle, Config, GitContext, Language, Plan, SourceFile, gate, report};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str = "\
shipgate peer benchmark: run `tests/bench/run.sh` (it builds this program, the
workload and the peers, and prints the table). Subcommands, for the driver:
  eval    --bundle DIR --input FILE --lang rego|cel [--iters N] [--warmup N] [--results FILE]
  floor   --sbom FILE [--iters N]
  parse   --sbom FILE --into value|doc|evidence   (once, for timing as a whole process)
  check   (--config FILE | --sbom FILE --bundle DIR) [--iters N] [--dump-input FILE] [--dump-data FILE]
  profile --input FILE --lang rego|cel [--policy FILE] [--rules FILE] [--iters N]";

fn main() -> ExitCode {
    shipgate_alloc::configure();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = match args.first().map(String::as_str) {
        Some("eval") => eval(&Opts::parse(&args)),
        Some("floor") => floor(&Opts::parse(&args)),
        Some("parse") => parse_once(&Opts::parse(&args)),
        Some("check") => check(&Opts::parse(&args)),
        Some("profile") => profile(&Opts::parse(&args)),
        // `cargo bench` runs every bench target with `--bench`.
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
    };
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--key value` options after the subcommand.
struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut map = HashMap::new();
        let mut it = args.iter().skip(1);
        while let Some(k) = it.next() {
            if let (Some(key), Some(v)) = (k.strip_prefix("--"), it.next()) {
                map.insert(key.to_owned(), v.clone());
            }
        }
        Opts(map)
    }

    fn get(&self, key: &str) -> Result<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("missing --{key}").into())
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.0.get(key).map(PathBuf::from)
    }

    fn num(&self, key: &str, default: usize) -> Result<usize> {
        match self.0.get(key) {
            None => Ok(default),
            Some(v) => Ok(v.parse()?),
        }
    }

    fn lang(&self) -> Result<Language> {
        match self.get("lang")? {
            "rego" => Ok(Language::Rego),
            "cel" => Ok(Language::Cel),
            other => Err(format!("unknown --lang `{other}`").into()),
        }
    }
}

/// One line of JSON on stdout, flushed at once (the driver may stop us).
fn emit(v: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, ms(t.elapsed()))
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v.get(n / 2).copied().unwrap_or(f64::NAN),
        n => {
            (v.get(n / 2 - 1).copied().unwrap_or(f64::NAN)
                + v.get(n / 2).copied().unwrap_or(f64::NAN))
                / 2.0
        }
    }
}

/// Generous: the driver's own timeout stops a run that takes too long, and a
/// rule the guard abandons would keep a core busy and spoil later figures.
fn limits() -> EvalLimits {
    EvalLimits {
        rule_timeout: Duration::from_secs(24 * 3600),
        ..EvalLimits::default()
    }
}

fn load_bundle(dir: &Path) -> Result<Bundle> {
    let limits = BundleLimits {
        eval: limits(),
        ..BundleLimits::default()
    };
    Bundle::load(dir, &dir.display().to_string(), &limits).map_err(|ps| {
        let text: Vec<String> = ps.0.iter().map(|p| format!("{p:?}")).collect();
        format!(
            "cannot load bundle `{}`: {}",
            dir.display(),
            text.join("; ")
        )
        .into()
    })
}

/// The workload (`{"release", "components"}`) as shipgate's CEL rules see
/// it: CEL rules name the input's top-level documents, so the components are
/// one SBOM of `sboms`. Moving them costs nothing.
fn as_cel_input(workload: Value) -> Value {
    let Value::Object(mut m) = workload else {
        return workload;
    };
    let components = m.remove("components").unwrap_or(Value::Null);
    json!({
        "release": m.remove("release").unwrap_or(Value::Null),
        "sboms": [{ "components": components }],
    })
}

/// Per-rule results, `{"R01": [names...], ...}`, the shape peers report.
/// Rego: one rule whose `deny` messages start `R05 name: ...` (the workload's
/// package, as OPA evaluates it); CEL: one rule per workload rule, named
/// `bench.r05`, whose violations are component names.
fn by_rule(
    bundle: &Bundle,
    evals: &[(Language, RuleEval)],
) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rule, (_, eval)) in bundle.rules.iter().zip(evals) {
        let deny = match eval {
            RuleEval::Ran { deny, .. } => deny,
            RuleEval::Error(e) => return Err(format!("rule `{}` failed: {e}", rule.id).into()),
        };
        let single = rule.id.strip_prefix("bench.r").map(|n| format!("R{n}"));
        if let Some(key) = &single {
            out.entry(key.clone()).or_default();
        }
        for v in deny {
            match &single {
                Some(key) => {
                    out.entry(key.clone()).or_default().insert(v.msg.clone());
                }
                None => {
                    let (key, rest) = v.msg.split_once(' ').unwrap_or((v.msg.as_str(), ""));
                    let name = rest.split_once(": ").map_or(rest, |(n, _)| n);
                    out.entry(key.to_owned())
                        .or_default()
                        .insert(name.to_owned());
                }
            }
        }
    }
    Ok(out)
}

fn eval(o: &Opts) -> Result<()> {
    let lang = o.lang()?;
    let dir = PathBuf::from(o.get("bundle")?);
    let input_path = PathBuf::from(o.get("input")?);
    let iters = o.num("iters", 10)?;
    let warmup = o.num("warmup", 2)?;
    let (bundle, compile_ms) = timed(|| load_bundle(&dir));
    let bundle = bundle?;
    let (value, parse_ms) = timed(|| -> Result<Value> {
        let bytes = std::fs::read(&input_path)?;
        let v: Value = serde_json::from_slice(&bytes)?;
        Ok(if lang == Language::Cel {
            as_cel_input(v)
        } else {
            v
        })
    });
    let value = value?;
    let (input, prepare_ms) = timed(|| Arc::new(PreparedInput::new(value)));
    let params = Map::new();
    let run = || bundle.evaluate(&input, &params, Some(lang), limits());
    // The first evaluation also converts the input into the engine's value
    // type (Rego caches it in the prepared input; CEL converts every time).
    let (evals, first_ms) = timed(run);
    let results = by_rule(&bundle, &evals)?;
    if let Some(path) = o.path("results") {
        std::fs::write(path, serde_json::to_vec_pretty(&results)?)?;
    }
    emit(&json!({
        "event": "first", "compile_ms": compile_ms, "parse_ms": parse_ms,
        "prepare_ms": prepare_ms, "first_ms": first_ms,
        "hits": results.values().map(BTreeSet::len).sum::<usize>(),
    }));
    for _ in 0..warmup {
        let (_, t) = timed(run);
        emit(&json!({"event": "warmup", "ms": t}));
    }
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let (_, t) = timed(run);
        emit(&json!({"event": "iter", "ms": t}));
        times.push(t);
    }
    emit(&json!({
        "event": "done", "median_ms": median(&times),
        "min_ms": times.iter().copied().fold(f64::INFINITY, f64::min), "n": iters,
    }));
    Ok(())
}

fn floor(o: &Opts) -> Result<()> {
    let sbom = PathBuf::from(o.get("sbom")?);
    let iters = o.num("iters", 10)?;
    let max_bytes = Config::default().settings.max_file_bytes;
    let mut raw = Vec::new();
    let mut raw_doc = Vec::new();
    let mut load = Vec::new();
    let mut doc = Vec::new();
    for _ in 0..iters {
        let (v, t) =
            timed(|| -> Result<Value> { Ok(serde_json::from_slice(&std::fs::read(&sbom)?)?) });
        v?;
        raw.push(t);
        // The same with the parse shipgate's SBOM loader does (into its
        // compact document instead of a `serde_json::Value`).
        let (d, t) = timed(|| -> Result<shipgate_engine::json::Doc> {
            let text = String::from_utf8(std::fs::read(&sbom)?)?;
            Ok(shipgate_engine::json::Doc::parse(&text)?)
        });
        d?;
        raw_doc.push(t);
        let paths = EvidencePaths::plain(None, [sbom.as_path()]);
        let opts = LoadOptions {
            max_bytes,
            sbom: SbomOptions {
                strict_schema: false,
            },
            trusted: &[],
        };
        let (ev, t) = timed(|| Evidence::load(&paths, opts));
        let ev =
            ev.map_err(|ps| format!("cannot load `{}`: {} problems", sbom.display(), ps.0.len()))?;
        load.push(t);
        // The rest of the way to an evaluation: the input document and its
        // JSON text (what every backend starts from).
        let git = GitContext::default();
        let (_, t) = timed(|| {
            let d = gate::input_document(&ev, jiff::Timestamp::UNIX_EPOCH, &git, None);
            PreparedInput::build(&d)
        });
        doc.push(t);
    }
    emit(&json!({
        "event": "floor", "read_parse_ms": median(&raw), "read_doc_ms": median(&raw_doc),
        "evidence_load_ms": median(&load),
        "input_document_ms": median(&doc), "n": iters,
    }));
    Ok(())
}

/// The floor as a whole process: read and parse the SBOM once and exit, as
/// a program that does nothing else would. The driver times the process as
/// it times `shipgate check`, so both pay the same start-up and first
/// touches of fresh memory (`floor` measures in a warm loop).
fn parse_once(o: &Opts) -> Result<()> {
    let sbom = PathBuf::from(o.get("sbom")?);
    let size = match o.get("into")? {
        "value" => serde_json::from_slice::<Value>(&std::fs::read(&sbom)?)?
            .as_object()
            .map_or(0, Map::len),
        "doc" => {
            let text = String::from_utf8(std::fs::read(&sbom)?)?;
            usize::from(shipgate_engine::json::Doc::parse(&text)?.root().is_object())
        }
        "evidence" => {
            let paths = EvidencePaths::plain(None, [sbom.as_path()]);
            let opts = LoadOptions {
                max_bytes: Config::default().settings.max_file_bytes,
                sbom: SbomOptions {
                    strict_schema: false,
                },
                trusted: &[],
            };
            Evidence::load(&paths, opts)
                .map_err(|ps| format!("cannot load `{}`: {} problems", sbom.display(), ps.0.len()))?
                .sboms
                .len()
        }
        other => return Err(format!("unknown --into `{other}`").into()),
    };
    // Exits without freeing what was parsed, as `shipgate check` does.
    emit(&json!({"event": "parsed", "top_level": size}));
    std::process::exit(0)
}

fn check(o: &Opts) -> Result<()> {
    let iters = o.num("iters", 5)?;
    // A shipgate.toml (as `shipgate check DIR` reads it), or one SBOM and one bundle.
    let mut config = match o.path("config") {
        Some(path) => {
            let display = path.display().to_string();
            let file = SourceFile::read(
                &path,
                display,
                shipgate_engine::source::DEFAULT_MAX_FILE_BYTES,
            )
            .map_err(|p| format!("{p:?}"))?;
            Config::load(&file).map_err(|p| format!("{p:?}"))?
        }
        None => {
            let mut config = Config::default();
            config.evidence.sboms = vec![PathBuf::from(o.get("sbom")?)];
            config.bundles = vec![BundleConfig {
                path: PathBuf::from(o.get("bundle")?),
                params: Map::new(),
            }];
            config
        }
    };
    config.ledger.enabled = false;
    let dirs: Vec<PathBuf> = config.bundles.iter().map(|b| b.path.clone()).collect();
    let plan = Plan {
        config,
        now: jiff::Timestamp::UNIX_EPOCH,
        git: GitContext::default(),
        prefer: None,
    };
    let (mut t_load, mut t_eval, mut t_render) = (Vec::new(), Vec::new(), Vec::new());
    let mut summary = Value::Null;
    for i in 0..iters {
        let (loaded, t) = timed(|| gate::load(&plan));
        let loaded = loaded.map_err(|ps| format!("check: {} problems loading", ps.0.len()))?;
        t_load.push(t);
        let (rep, t) = timed(|| gate::evaluate(&plan, &loaded));
        t_eval.push(t);
        let (_, t) = timed(|| report::renderer(report::Format::Text, false).render(&rep));
        t_render.push(t);
        summary = serde_json::to_value(&rep.summary)?;
        if i == 0 {
            if let Some(path) = o.path("dump-input") {
                let doc = gate::input_document(&loaded.evidence, plan.now, &plan.git, None);
                std::fs::write(path, serde_json::to_vec(&doc)?)?;
            }
            if let Some(path) = o.path("dump-data") {
                let params: Map<String, Value> = loaded
                    .bundles
                    .first()
                    .map(|(b, _)| b.params.clone())
                    .unwrap_or_default();
                std::fs::write(path, serde_json::to_vec(&json!({ "params": params }))?)?;
            }
        }
    }
    // The input document's share of `gate::evaluate`: building it and its JSON
    // text, and regorus converting that text (once per evaluation).
    let loaded =
        gate::load(&plan).map_err(|ps| format!("check: {} problems loading", ps.0.len()))?;
    let (mut t_doc, mut t_conv, mut bytes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..iters {
        let (input, t) = timed(|| {
            let doc = gate::input_document(&loaded.evidence, plan.now, &plan.git, None);
            PreparedInput::build(&doc)
        });
        t_doc.push(t);
        bytes = input.json().len();
        let (v, t) = timed(|| regorus::Value::from_json_str(input.json()));
        v?;
        t_conv.push(t);
    }
    // Bundle loading alone, to split `gate::load` into evidence and bundles.
    let mut t_bundle = Vec::new();
    for _ in 0..iters {
        let (b, t) = timed(|| {
            dirs.iter()
                .map(|d| load_bundle(d))
                .collect::<Result<Vec<_>>>()
        });
        b?;
        t_bundle.push(t);
    }
    emit(&json!({
        "event": "check", "load_ms": median(&t_load), "bundle_load_ms": median(&t_bundle),
        "evaluate_ms": median(&t_eval), "render_ms": median(&t_render),
        "input_document_ms": median(&t_doc), "input_json_bytes": bytes,
        "rego_convert_ms": median(&t_conv),
        "summary": summary, "n": iters,
    }));
    Ok(())
}

/// Below the public API: the same steps the backends take, one at a time.
fn profile(o: &Opts) -> Result<()> {
    let input_path = PathBuf::from(o.get("input")?);
    let iters = o.num("iters", 5)?;
    let text = std::fs::read_to_string(&input_path)?;
    match o.lang()? {
        Language::Rego => profile_rego(o, &text, iters),
        Language::Cel => profile_cel(o, &text, iters),
    }
}

fn step(name: &str, times: &[f64]) {
    emit(&json!({"event": "step", "step": name, "median_ms": median(times), "n": times.len()}));
}

fn profile_rego(o: &Opts, text: &str, iters: usize) -> Result<()> {
    let policy_path = PathBuf::from(o.get("policy")?);
    let policy = std::fs::read_to_string(&policy_path)?;
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    engine.add_policy(policy_path.display().to_string(), policy)?;
    let (mut conv, mut clone, mut ev, mut out) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..iters {
        let (v, t) = timed(|| regorus::Value::from_json_str(text));
        let v = v?;
        conv.push(t);
        let (mut e, t) = timed(|| {
            let mut e = engine.clone();
            e.set_input(v.clone());
            e
        });
        clone.push(t);
        let (r, t) = timed(|| e.eval_rule("data.releasegate.sbom.deny".to_owned()));
        let r = r?;
        ev.push(t);
        let (j, t) = timed(|| serde_json::to_value(&r));
        j?;
        out.push(t);
    }
    // The same rule again on the same engine: what a warm engine costs.
    let mut e = engine.clone();
    e.set_input(regorus::Value::from_json_str(text)?);
    let mut again = Vec::new();
    for _ in 0..iters {
        let (r, t) = timed(|| e.eval_rule("data.releasegate.sbom.deny".to_owned()));
        r?;
        again.push(t);
    }
    let mut query = Vec::new();
    for _ in 0..iters {
        let (r, t) = timed(|| e.eval_query("data.releasegate.sbom.deny".to_owned(), false));
        r?;
        query.push(t);
    }
    step("rego: regorus::Value::from_json_str(input)", &conv);
    step("rego: engine.clone() + set_input", &clone);
    step("rego: eval_rule(data.releasegate.sbom.deny)", &ev);
    step("rego: result to serde_json", &out);
    step("rego: eval_rule again on the same engine", &again);
    step(
        "rego: eval_query(data.releasegate.sbom.deny) on the same engine",
        &query,
    );
    Ok(())
}

fn profile_cel(o: &Opts, text: &str, iters: usize) -> Result<()> {
    let rules: Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(o.get("rules")?)?)?;
    let value = as_cel_input(serde_json::from_str(text)?);
    let sboms = value.get("sboms").cloned().unwrap_or(Value::Null);
    let mut conv = Vec::new();
    let mut bound = cel::Value::Null;
    for _ in 0..iters {
        let (b, t) = timed(|| to_cel(&sboms));
        bound = b;
        conv.push(t);
    }
    step("cel: JSON to cel::Value (sboms)", &conv);
    let mut env = cel::Env::stdlib();
    env.add_extension(cel::extensions::strings)?;
    env.add_extension(cel::extensions::lists)?;
    let env = Arc::new(env);
    // One rule at a time, each once: the slow ones are the story.
    for (id, cond) in &rules {
        let cond = cond.as_str().unwrap_or_default();
        let expr = format!("sboms[0].components.filter(c, {cond}).map(c, c.name)");
        let program = cel::Program::compile(&expr).map_err(|e| format!("{id}: {e}"))?;
        let mut ctx = cel::Context::with_env(Arc::clone(&env));
        ctx.add_variable_from_value("sboms", bound.clone());
        let (r, t) = timed(|| program.execute(&ctx));
        // The crate is built without `matches()` (the backend provides it):
        // such rules are reported without a time.
        match r {
            Ok(v) => {
                let hits = match v {
                    cel::Value::List(l) => l.len(),
                    _ => 0,
                };
                emit(&json!({"event": "rule", "rule": id, "ms": t, "hits": hits}));
            }
            Err(e) => {
                emit(&json!({"event": "rule", "rule": id, "ms": null, "error": e.to_string()}))
            }
        }
    }
    Ok(())
}

/// JSON to CEL, as the CEL backend converts its input (a copy: the backend's
/// own is private).
fn to_cel(v: &Value) -> cel::Value {
    use cel::objects::{Key, Map as CelMap};
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(m) => {
            let map: HashMap<Key, cel::Value> = m
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            cel::Value::Map(CelMap { map: Arc::new(map) })
        }
    }
}
