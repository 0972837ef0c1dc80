//! Cost evidence: prices and forecasts in, a computed cost model out.
//!
//! Users do not write down what a release will cost; they write what they
//! know — egress prices per region and delivery tier, how many devices will
//! install or upgrade, how many inferences they will run — and shipgate
//! computes the figures from the release manifest itself (artifact and delta
//! sizes, device classes, rollout stages and their tiers). A budget rule then
//! gates on numbers nobody could have typed wrong by hand.
//!
//! Money never passes through a float: inputs are decimal strings, the
//! arithmetic is exact ([`decimal`]), and each reported amount is rounded once
//! to cents, half away from zero. Totals are rounded from the exact sum of
//! their lines, not summed from rounded lines.
//!
//! Fail closed: an install routed through a region and tier without a price,
//! or a forecast for a region or device class the release does not target,
//! is an error located in the cost file — never a silently smaller bill.
//! Schema: `schemas/cost-input.schema.json`; the model: `docs/cost.md`.

pub mod decimal;
pub mod model;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diag::{Code, Problem, Problems};
use crate::evidence::manifest::ReleaseManifest;
use crate::json::{self, escape_pointer_token};
use crate::schema::{self, SchemaId};
use crate::source::SourceFile;

pub use decimal::Decimal;
pub use model::{
    Budget, Budgets, CostModel, Coverage, DeltaRatio, Download, DownloadPart, Egress, EgressLine,
    Headroom, Inference, InferenceLine, Money, Pair, RegionEgress,
};

/// Largest integer JSON (RFC 8785, Rego, CEL) carries exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// [`MAX_SAFE`] as a signed integer.
const MAX_SAFE_I64: i64 = (1 << 53) - 1;

/// Bytes in a GB: prices are per 10⁹ bytes, not per GiB.
const GB_DIGITS: u32 = 9;

/// The cost file: shipgate's own format.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostInput {
    /// The schema the file names for editors.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub json_schema: Option<String>,
    /// Format version; `1`.
    pub schema_version: u32,
    /// Forecast period label.
    #[serde(default)]
    pub period: Option<String>,
    /// Region → tier → USD per GB (decimal string).
    pub egress_usd_per_gb: BTreeMap<String, BTreeMap<String, String>>,
    /// Install forecasts.
    pub installs: Vec<InstallForecast>,
    /// Inference forecasts.
    #[serde(default)]
    pub inference: Vec<InferenceForecast>,
}

/// How many devices of a class in a region install the release.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallForecast {
    /// Region.
    pub region: String,
    /// Device class.
    pub device_class: String,
    /// Installs from nothing.
    #[serde(default)]
    pub new_installs: u64,
    /// Upgrades, per version upgraded from.
    #[serde(default)]
    pub upgrades: Vec<UpgradeForecast>,
}

/// Upgrades from one version.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeForecast {
    /// Version upgraded from.
    pub from_version: String,
    /// How many devices.
    pub count: u64,
}

/// Inferences of a device class in a region over the period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceForecast {
    /// Region.
    pub region: String,
    /// Device class.
    pub device_class: String,
    /// Inferences, on device and in the cloud together.
    pub inferences: u64,
    /// USD per 1,000 on-device inferences (decimal string).
    pub on_device_usd_per_1k: String,
    /// USD per 1,000 cloud inferences (decimal string).
    pub cloud_usd_per_1k: String,
    /// Share falling back to the cloud, in [0, 1] (decimal string).
    pub cloud_fallback_share: String,
}

/// Reads and validates a cost file (schema, then duplicate forecasts).
pub fn load(file: &SourceFile) -> Result<CostInput, Problems> {
    let input: CostInput = schema::read_typed(file, SchemaId::CostInput, "cost file")?;
    check_unique(file, &input)?;
    Ok(input)
}

/// One forecast per (region, device class), one upgrade line per version.
fn check_unique(file: &SourceFile, input: &CostInput) -> Result<(), Problems> {
    let mut problems = Problems::default();
    let mut twice = |list: &str, keys: Vec<(&str, &str)>| {
        let mut seen = BTreeMap::new();
        for (i, (region, class)) in keys.into_iter().enumerate() {
            if let Some(first) = seen.insert((region, class), i) {
                problems.push(
                    Problem::error(
                        Code::SchemaViolation,
                        format!(
                            "second `{list}` forecast for region `{region}` and device class `{class}`"
                        ),
                    )
                    .with_help(format!(
                        "merge it into the first, at `/{list}/{first}`: one forecast per region and device class"
                    ))
                    .at(json::location_of(file, &format!("/{list}/{i}"))),
                );
            }
        }
    };
    twice(
        "installs",
        input
            .installs
            .iter()
            .map(|f| (f.region.as_str(), f.device_class.as_str()))
            .collect(),
    );
    twice(
        "inference",
        input
            .inference
            .iter()
            .map(|f| (f.region.as_str(), f.device_class.as_str()))
            .collect(),
    );
    for (i, f) in input.installs.iter().enumerate() {
        let mut seen = BTreeMap::new();
        for (j, u) in f.upgrades.iter().enumerate() {
            if let Some(first) = seen.insert(u.from_version.as_str(), j) {
                problems.push(
                    Problem::error(
                        Code::SchemaViolation,
                        format!("second upgrade count from version `{}`", u.from_version),
                    )
                    .with_help(format!(
                        "merge it into the first, at `/installs/{i}/upgrades/{first}`"
                    ))
                    .at(json::location_of(
                        file,
                        &format!("/installs/{i}/upgrades/{j}"),
                    )),
                );
            }
        }
    }
    problems.into_result().map(drop)
}

/// One way installs of a region are delivered: a rollout stage's share.
struct Route<'a> {
    stage: Option<&'a str>,
    tier: &'a str,
    /// Fraction of the region's installs, in [0, 1].
    share: Decimal,
}

/// How a region's installs are delivered, and the percent the rollout
/// reaches there. Stages apply to the region when they name no regions or
/// name it; each covers its cumulative percent minus the highest percent an
/// earlier applicable stage reached (a stage below that adds nothing).
fn routes<'a>(
    release: &'a ReleaseManifest,
    region: &str,
    problems: &mut Problems,
) -> (Vec<Route<'a>>, Decimal, Vec<String>) {
    if release.rollout.is_empty() {
        let route = Route {
            stage: None,
            tier: "standard",
            share: Decimal::from_u64(1),
        };
        return (vec![route], Decimal::from_u64(100), Vec::new());
    }
    let mut out = Vec::new();
    let mut names = Vec::new();
    let mut reached = Decimal::zero();
    for (i, stage) in release.rollout.iter().enumerate() {
        if !(stage.regions.is_empty() || stage.regions.iter().any(|r| r == region)) {
            continue;
        }
        names.push(stage.stage.clone());
        let Some(percent) = Decimal::from_f64(stage.percent) else {
            problems.push(
                Problem::error(
                    Code::SchemaViolation,
                    format!(
                        "rollout stage `{}` has percent `{}`, which is not a share of the fleet",
                        stage.stage, stage.percent
                    ),
                )
                .with_help(format!(
                    "set `/rollout/{i}/percent` in the release manifest to a number in (0, 100]"
                )),
            );
            continue;
        };
        if let Some(added) = percent.sub(&reached) {
            if !added.is_zero() {
                out.push(Route {
                    stage: Some(stage.stage.as_str()),
                    tier: stage.tier.as_str(),
                    share: added.shift_down(2),
                });
            }
            reached = percent;
        }
    }
    (out, reached, names)
}

/// Rounds an exact amount to cents (half away from zero).
fn money(exact: &Decimal, what: &str, problems: &mut Problems) -> Money {
    let units = exact.round_units(2);
    let cents = u64::try_from(&units)
        .ok()
        .filter(|c| *c <= MAX_SAFE)
        .and_then(|c| i64::try_from(c).ok());
    let cents = cents.unwrap_or_else(|| {
        problems.push(
            Problem::error(
                Code::CostOverflow,
                format!("{what} is USD {exact}, beyond what shipgate can report exactly"),
            )
            .with_help(
                "amounts up to 2^53 − 1 cents (about 90 trillion dollars) are supported: check the counts and prices for a unit mistake",
            ),
        );
        0
    });
    Money {
        usd: Decimal::units_to_fixed(&units, 2),
        cents,
        exact: exact.to_string(),
    }
}

/// Whole cents as a signed two-decimal string (`-350` → `-3.50`).
fn cents_to_usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A decimal string the schema has already checked; re-checked to fail closed
/// when a caller skipped [`load`].
fn decimal_at(file: &SourceFile, pointer: &str, s: &str, problems: &mut Problems) -> Decimal {
    Decimal::parse(s).unwrap_or_else(|| {
        problems.push(
            Problem::error(
                Code::SchemaViolation,
                format!("`{s}` is not a decimal amount"),
            )
            .with_help("write amounts as decimal strings like \"0.085\": digits, one optional point, no sign or exponent")
            .at(json::location_of(file, pointer)),
        );
        Decimal::zero()
    })
}

/// Computes the cost model of `release` from the prices and forecasts in
/// `input` (read from `file`, which locates every problem). Returns the model
/// and its warnings, or every error found.
pub fn compute(
    file: &SourceFile,
    input: &CostInput,
    release: &ReleaseManifest,
) -> Result<(CostModel, Vec<Problem>), Problems> {
    let mut problems = Problems::default();

    // What the release targets: (region, device class) pairs, and regions in
    // the order the manifest first names them.
    let mut targeted = BTreeSet::new();
    let mut regions: Vec<&str> = Vec::new();
    for t in &release.targets {
        for r in &t.regions {
            targeted.insert((r.as_str(), t.device_class.as_str()));
            if !regions.contains(&r.as_str()) {
                regions.push(r.as_str());
            }
        }
    }
    let targets_help = || {
        if targeted.is_empty() {
            "the release manifest has no `targets`: add the device classes and regions it ships to"
                .to_owned()
        } else {
            let list: Vec<String> = targeted.iter().map(|(r, d)| format!("{r}/{d}")).collect();
            format!(
                "the release targets (region/device class): {}; fix the name or remove the forecast",
                list.join(", ")
            )
        }
    };
    let mut untargeted = |list: &str, i: usize, region: &str, class: &str| {
        let ok = targeted.contains(&(region, class));
        if !ok {
            problems.push(
                Problem::error(
                    Code::CostUntargeted,
                    format!(
                        "forecast for region `{region}` and device class `{class}`, which the release does not target"
                    ),
                )
                .with_help(targets_help())
                .at(json::location_of(file, &format!("/{list}/{i}"))),
            );
        }
        !ok
    };
    let skip_installs: Vec<bool> = input
        .installs
        .iter()
        .enumerate()
        .map(|(i, f)| untargeted("installs", i, &f.region, &f.device_class))
        .collect();
    let skip_inference: Vec<bool> = input
        .inference
        .iter()
        .enumerate()
        .map(|(i, f)| untargeted("inference", i, &f.region, &f.device_class))
        .collect();

    // Targeted pairs nobody forecast: warn, and say so in the model.
    let forecast: BTreeSet<(&str, &str)> = input
        .installs
        .iter()
        .map(|f| (f.region.as_str(), f.device_class.as_str()))
        .collect();
    let mut unforecast = Vec::new();
    for (region, class) in &targeted {
        if !forecast.contains(&(*region, *class)) {
            problems.push(
                Problem::warning(
                    Code::CostUnforecast,
                    format!(
                        "no install forecast for region `{region}` and device class `{class}`: its egress is not counted"
                    ),
                )
                .with_help("add an entry to `installs` (a count of 0 says none are expected)")
                .at(json::location_of(file, "/installs")),
            );
            unforecast.push(Pair {
                region: (*region).to_owned(),
                device_class: (*class).to_owned(),
            });
        }
    }

    let downloads = Downloads::new(release);
    let mut used_downloads: Vec<Download> = Vec::new();
    let mut lines = Vec::new();
    let mut missing_price = BTreeSet::new();
    let mut route_cache: BTreeMap<&str, (Vec<Route<'_>>, Decimal, Vec<String>)> = BTreeMap::new();
    let mut region_totals: BTreeMap<&str, (u64, Decimal)> = BTreeMap::new();

    for (i, f) in input.installs.iter().enumerate() {
        if skip_installs.get(i).copied().unwrap_or(true) {
            continue;
        }
        let mut kinds: Vec<(Option<&str>, u64, String)> =
            vec![(None, f.new_installs, format!("/installs/{i}/new_installs"))];
        for (j, u) in f.upgrades.iter().enumerate() {
            kinds.push((
                Some(u.from_version.as_str()),
                u.count,
                format!("/installs/{i}/upgrades/{j}/count"),
            ));
        }
        let region_entry = region_totals
            .entry(f.region.as_str())
            .or_insert_with(|| (0, Decimal::zero()));
        for (_, count, pointer) in &kinds {
            match region_entry
                .0
                .checked_add(*count)
                .filter(|n| *n <= MAX_SAFE)
            {
                Some(n) => region_entry.0 = n,
                None => problems.push(
                    Problem::error(
                        Code::CostOverflow,
                        format!(
                            "installs in region `{}` add up to more than 2^53 − 1",
                            f.region
                        ),
                    )
                    .with_help("check the counts for a unit mistake")
                    .at(json::location_of(file, pointer)),
                ),
            }
        }
        if !route_cache.contains_key(f.region.as_str()) {
            let r = routes(release, &f.region, &mut problems);
            route_cache.insert(f.region.as_str(), r);
        }
        let Some((stage_routes, _, _)) = route_cache.get(f.region.as_str()) else {
            continue;
        };
        for (from, count, pointer) in kinds {
            if count == 0 {
                continue;
            }
            let download = downloads.of(&f.device_class, from);
            if download.bytes > MAX_SAFE {
                problems.push(
                    Problem::error(
                        Code::CostOverflow,
                        format!(
                            "one install of device class `{}` downloads more than 2^53 − 1 bytes",
                            f.device_class
                        ),
                    )
                    .with_help("check the artifact sizes in the release manifest")
                    .at(json::location_of(file, &pointer)),
                );
                continue;
            }
            if !used_downloads.iter().any(|d| {
                d.device_class == download.device_class && d.from_version == download.from_version
            }) {
                used_downloads.push(download.clone());
            }
            for route in stage_routes {
                let price_pointer = format!(
                    "/egress_usd_per_gb/{}/{}",
                    escape_pointer_token(&f.region),
                    escape_pointer_token(route.tier)
                );
                let Some(price_text) = input
                    .egress_usd_per_gb
                    .get(&f.region)
                    .and_then(|t| t.get(route.tier))
                else {
                    if missing_price.insert((f.region.as_str(), route.tier)) {
                        let (at, help) = if input.egress_usd_per_gb.contains_key(&f.region) {
                            (
                                format!("/egress_usd_per_gb/{}", escape_pointer_token(&f.region)),
                                format!(
                                    "add `\"{}\": \"<USD per GB>\"` to the region's price table",
                                    route.tier
                                ),
                            )
                        } else {
                            (
                                "/egress_usd_per_gb".to_owned(),
                                format!(
                                    "add `\"{}\": {{\"{}\": \"<USD per GB>\"}}` to `egress_usd_per_gb`",
                                    f.region, route.tier
                                ),
                            )
                        };
                        let stage = route.stage.map_or_else(
                            || "without a rollout, every install".to_owned(),
                            |s| format!("rollout stage `{s}`"),
                        );
                        problems.push(
                            Problem::error(
                                Code::CostPriceMissing,
                                format!(
                                    "no egress price for region `{}` on tier `{}`, where {stage} is delivered",
                                    f.region, route.tier
                                ),
                            )
                            .with_help(help)
                            .at(json::location_of(file, &at)),
                        );
                    }
                    continue;
                };
                let price = decimal_at(file, &price_pointer, price_text, &mut problems);
                let exact = Decimal::from_u64(count)
                    .mul(&route.share)
                    .mul(&Decimal::from_u64(download.bytes))
                    .mul(&price)
                    .shift_down(GB_DIGITS);
                region_entry.1 = region_entry.1.add(&exact);
                let what = format!("egress of `{pointer}`");
                lines.push((
                    exact.clone(),
                    EgressLine {
                        region: f.region.clone(),
                        device_class: f.device_class.clone(),
                        install: if from.is_some() { "upgrade" } else { "new" }.to_owned(),
                        from_version: from.map(str::to_owned),
                        delta: download.delta,
                        stage: route.stage.map(str::to_owned),
                        tier: route.tier.to_owned(),
                        share: route.share.to_string(),
                        installs: count,
                        bytes: download.bytes,
                        usd_per_gb: price.to_string(),
                        amount: money(&exact, &what, &mut problems),
                        pointer: pointer.clone(),
                        price_pointer,
                    },
                ));
            }
        }
    }

    let egress_exact = lines
        .iter()
        .fold(Decimal::zero(), |acc, (exact, _)| acc.add(exact));
    let region_lines: Vec<RegionEgress> = region_totals
        .iter()
        .map(|(region, (installs, exact))| RegionEgress {
            region: (*region).to_owned(),
            installs: *installs,
            amount: money(
                exact,
                &format!("egress of region `{region}`"),
                &mut problems,
            ),
        })
        .collect();
    let egress = Egress {
        total: money(&egress_exact, "total egress", &mut problems),
        lines: lines.into_iter().map(|(_, line)| line).collect(),
        regions: region_lines,
    };

    // Inference: inferences ÷ 1000 × (on-device × (1 − share) + cloud × share).
    let mut inference_lines = Vec::new();
    let mut inference_exact = Decimal::zero();
    for (i, f) in input.inference.iter().enumerate() {
        if skip_inference.get(i).copied().unwrap_or(true) {
            continue;
        }
        let at = |field: &str| format!("/inference/{i}/{field}");
        let on_device = decimal_at(
            file,
            &at("on_device_usd_per_1k"),
            &f.on_device_usd_per_1k,
            &mut problems,
        );
        let cloud = decimal_at(
            file,
            &at("cloud_usd_per_1k"),
            &f.cloud_usd_per_1k,
            &mut problems,
        );
        let share = decimal_at(
            file,
            &at("cloud_fallback_share"),
            &f.cloud_fallback_share,
            &mut problems,
        );
        let Some(local) = Decimal::from_u64(1).sub(&share) else {
            problems.push(
                Problem::error(
                    Code::SchemaViolation,
                    format!("cloud fallback share `{share}` is above 1"),
                )
                .with_help("a share is a decimal in [0, 1], e.g. \"0.05\" for 5 %")
                .at(json::location_of(file, &at("cloud_fallback_share"))),
            );
            continue;
        };
        let per_1k = on_device.mul(&local).add(&cloud.mul(&share));
        let exact = Decimal::from_u64(f.inferences).shift_down(3).mul(&per_1k);
        inference_exact = inference_exact.add(&exact);
        inference_lines.push(InferenceLine {
            region: f.region.clone(),
            device_class: f.device_class.clone(),
            inferences: f.inferences,
            on_device_usd_per_1k: on_device.to_string(),
            cloud_usd_per_1k: cloud.to_string(),
            cloud_fallback_share: share.to_string(),
            amount: money(
                &exact,
                &format!("inference of `/inference/{i}`"),
                &mut problems,
            ),
            pointer: format!("/inference/{i}"),
        });
    }
    let inference = Inference {
        lines: inference_lines,
        total: money(&inference_exact, "total inference", &mut problems),
    };
    let total = money(
        &egress_exact.add(&inference_exact),
        "total cost",
        &mut problems,
    );

    let budgets = Budgets {
        egress_usd: budget(release, "egress_usd", &egress.total, &mut problems),
        inference_usd: budget(release, "inference_usd", &inference.total, &mut problems),
        total_usd: budget(release, "total_usd", &total, &mut problems),
    };

    let coverage = regions
        .iter()
        .map(|region| {
            let (_, percent, stages) = match route_cache.remove(region) {
                Some(r) => r,
                None => routes(release, region, &mut problems),
            };
            Coverage {
                region: (*region).to_owned(),
                covered: percent == Decimal::from_u64(100),
                percent: percent.to_string(),
                stages,
            }
        })
        .collect();

    let model = CostModel {
        file: file.display().to_owned(),
        period: input.period.clone(),
        currency: "USD".to_owned(),
        downloads: used_downloads,
        egress,
        inference,
        total,
        budgets,
        deltas: delta_ratios(release),
        coverage,
        unforecast,
    };
    problems.into_result().map(|warnings| (model, warnings))
}

/// What each device class downloads, from the manifest's artifacts.
struct Downloads<'a> {
    release: &'a ReleaseManifest,
}

impl<'a> Downloads<'a> {
    fn new(release: &'a ReleaseManifest) -> Self {
        Downloads { release }
    }

    /// Artifacts installed by `class` (no `device_classes` = every class):
    /// in full for a new install; for an upgrade from `from`, the delta patch
    /// from `from` when there is one, else in full. Bytes saturate at
    /// `u64::MAX`; the caller refuses anything beyond 2^53 − 1.
    fn of(&self, class: &str, from: Option<&str>) -> Download {
        let mut parts = Vec::new();
        for a in &self.release.artifacts {
            if !(a.device_classes.is_empty() || a.device_classes.iter().any(|d| d == class)) {
                continue;
            }
            let delta = from.and_then(|v| a.deltas.iter().find(|d| d.from_version == v));
            parts.push(DownloadPart {
                artifact: a.name.clone(),
                bytes: delta.map_or(a.size, |d| d.size),
                full_size: a.size,
                delta: delta.is_some(),
            });
        }
        Download {
            device_class: class.to_owned(),
            from_version: from.map(str::to_owned),
            bytes: parts
                .iter()
                .fold(0u64, |acc, p| acc.saturating_add(p.bytes)),
            delta: from.is_some() && !parts.is_empty() && parts.iter().all(|p| p.delta),
            artifacts: parts,
        }
    }
}

/// A budget tag against the figure it caps; `None` when the tag is absent.
fn budget(
    release: &ReleaseManifest,
    tag: &str,
    spent: &Money,
    problems: &mut Problems,
) -> Option<Budget> {
    let value = release.budget.get(tag)?;
    let amount = match value {
        Value::String(s) => Decimal::parse(s),
        Value::Number(n) => Decimal::from_json_number(n),
        _ => None,
    };
    let Some(amount) = amount else {
        problems.push(
            Problem::error(
                Code::SchemaViolation,
                format!("budget tag `{tag}` is `{value}`, not an amount of US dollars"),
            )
            .with_help(format!(
                "write it as a decimal string in the release manifest, e.g. `\"{tag}\": \"1200.00\"`"
            )),
        );
        return None;
    };
    let limit = money(&amount, &format!("budget `{tag}`"), problems);
    let headroom = limit.cents.saturating_sub(spent.cents);
    Some(Budget {
        tag: tag.to_owned(),
        within: spent.cents <= limit.cents,
        headroom: Headroom {
            usd: cents_to_usd(headroom),
            cents: headroom,
        },
        limit,
        spent: spent.clone(),
    })
}

/// A count for JSON: above 2^53 − 1 (a patch thousands of times its
/// artifact) it saturates, which keeps every comparison with a sane limit.
fn saturating_i64(units: &num_bigint::BigUint) -> i64 {
    u64::try_from(units)
        .ok()
        .filter(|v| *v <= MAX_SAFE)
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or(MAX_SAFE_I64)
}

/// Every delta patch of the release against its artifact's full size.
fn delta_ratios(release: &ReleaseManifest) -> Vec<DeltaRatio> {
    let mut out = Vec::new();
    for a in &release.artifacts {
        for d in &a.deltas {
            // An empty patch of an empty artifact is no growth; any other
            // patch of an empty artifact has no finite ratio.
            let units = |places| match (d.size, a.size) {
                (0, 0) => Some(num_bigint::BigUint::ZERO),
                (size, full) => Decimal::ratio_ceil_units(size, full, places),
            };
            let bp = units(4);
            out.push(DeltaRatio {
                artifact: a.name.clone(),
                from_version: d.from_version.clone(),
                size: d.size,
                full_size: a.size,
                ratio: bp.as_ref().map(|u| Decimal::units_to_fixed(u, 4)),
                ratio_bp: bp.as_ref().map(saturating_i64),
                ratio_permille: units(3).as_ref().map(saturating_i64),
            });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
