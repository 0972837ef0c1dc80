//! Hand-checked cost models: every expected figure is worked out in the
//! comment above it.

use serde_json::{Value, json};

use super::*;
use crate::evidence::manifest::ReleaseManifest;

/// Release 2.4.0 of two artifacts:
/// - `app.bin`, 100 MB (10⁸ bytes), every device class, delta from 2.3.0 of 20 MB;
/// - `model.tflite`, 50 MB, phones only, no delta.
///
/// Phones ship to `eu` and `us`, hubs to `eu`. Rollout: a 10 % canary on the
/// fast tier in `eu` only, then everyone on the standard tier.
fn manifest() -> Value {
    json!({
        "schema_version": 1,
        "name": "edge-agent",
        "version": "2.4.0",
        "artifacts": [
            {"name": "app.bin", "kind": "binary", "size": 100_000_000u64,
             "deltas": [{"from_version": "2.3.0", "size": 20_000_000u64}]},
            {"name": "model.tflite", "kind": "model", "size": 50_000_000u64,
             "device_classes": ["phone"]}
        ],
        "targets": [
            {"device_class": "phone", "regions": ["eu", "us"]},
            {"device_class": "hub", "regions": ["eu"]}
        ],
        "rollout": [
            {"stage": "canary", "percent": 10, "tier": "fast", "regions": ["eu"]},
            {"stage": "ga", "percent": 100, "tier": "standard"}
        ],
        "budget": {"egress_usd": "1000", "inference_usd": 500}
    })
}

fn cost_input() -> Value {
    json!({
        "schema_version": 1,
        "period": "2026-Q4",
        "egress_usd_per_gb": {
            "eu": {"standard": "0.02", "fast": "0.08"},
            "us": {"standard": "0.01"}
        },
        "installs": [
            {"region": "eu", "device_class": "phone", "new_installs": 1000,
             "upgrades": [{"from_version": "2.3.0", "count": 10000},
                          {"from_version": "2.2.0", "count": 500}]},
            {"region": "us", "device_class": "phone", "new_installs": 2000},
            {"region": "eu", "device_class": "hub",
             "upgrades": [{"from_version": "2.3.0", "count": 4000}]}
        ],
        "inference": [
            {"region": "eu", "device_class": "phone", "inferences": 2_000_000,
             "on_device_usd_per_1k": "0.001", "cloud_usd_per_1k": "0.5",
             "cloud_fallback_share": "0.1"},
            {"region": "us", "device_class": "phone", "inferences": 1_000_000,
             "on_device_usd_per_1k": "0", "cloud_usd_per_1k": "0.2",
             "cloud_fallback_share": "0.25"}
        ]
    })
}

fn release(v: &Value) -> ReleaseManifest {
    let text = serde_json::to_string_pretty(v).unwrap();
    ReleaseManifest::load(&SourceFile::from_text("release.json", &text)).unwrap()
}

fn source(v: &Value) -> SourceFile {
    SourceFile::from_text("cost.json", &serde_json::to_string_pretty(v).unwrap())
}

fn run(cost: &Value, rel: &Value) -> Result<(CostModel, Vec<Problem>), Problems> {
    let file = source(cost);
    let input = load(&file)?;
    compute(&file, &input, &release(rel))
}

fn ok(cost: &Value, rel: &Value) -> CostModel {
    let (model, warnings) = run(cost, rel).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    model
}

fn line<'a>(
    m: &'a CostModel,
    region: &str,
    class: &str,
    from: Option<&str>,
    stage: &str,
) -> &'a EgressLine {
    m.egress
        .lines
        .iter()
        .find(|l| {
            l.region == region
                && l.device_class == class
                && l.from_version.as_deref() == from
                && l.stage.as_deref() == Some(stage)
        })
        .unwrap_or_else(|| panic!("no line {region}/{class}/{from:?}/{stage}"))
}

#[test]
fn bytes_per_install_use_deltas_where_they_exist() {
    let m = ok(&cost_input(), &manifest());
    let d = |class: &str, from: Option<&str>| {
        m.downloads
            .iter()
            .find(|d| d.device_class == class && d.from_version.as_deref() == from)
            .unwrap()
    };
    // New phone: app 100 MB + model 50 MB = 150,000,000 bytes.
    assert_eq!(d("phone", None).bytes, 150_000_000);
    assert!(!d("phone", None).delta);
    // Phone from 2.3.0: app delta 20 MB + model in full 50 MB (no delta from
    // 2.3.0) = 70,000,000; not every artifact came as a delta.
    let p23 = d("phone", Some("2.3.0"));
    assert_eq!(p23.bytes, 70_000_000);
    assert!(!p23.delta);
    assert!(
        p23.artifacts
            .iter()
            .any(|a| a.artifact == "app.bin" && a.delta && a.bytes == 20_000_000)
    );
    assert!(
        p23.artifacts
            .iter()
            .any(|a| a.artifact == "model.tflite" && !a.delta && a.bytes == 50_000_000)
    );
    // Phone from 2.2.0: no delta from 2.2.0 at all: 150,000,000 in full.
    assert_eq!(d("phone", Some("2.2.0")).bytes, 150_000_000);
    // Hub from 2.3.0: only app.bin (the model is phones only), as a delta:
    // 20,000,000 bytes, all delta.
    let hub = d("hub", Some("2.3.0"));
    assert_eq!(
        (hub.bytes, hub.delta, hub.artifacts.len()),
        (20_000_000, true, 1)
    );
}

#[test]
fn staged_rollout_with_a_region_limited_canary() {
    let m = ok(&cost_input(), &manifest());
    // eu: canary 10 % on fast (0.1), then ga adds 100 − 10 = 90 % on standard.
    // eu/phone new, 1000 installs × 150 MB:
    //   canary: 1000 × 0.1 × 150e6 B = 15e9 B = 15 GB × $0.08 = $1.20
    //   ga:     1000 × 0.9 × 150e6 B = 135 GB × $0.02 = $2.70
    let c = line(&m, "eu", "phone", None, "canary");
    assert_eq!(
        (c.tier.as_str(), c.share.as_str(), c.installs, c.bytes),
        ("fast", "0.1", 1000, 150_000_000)
    );
    assert_eq!(
        (c.usd_per_gb.as_str(), c.amount.usd.as_str(), c.amount.cents),
        ("0.08", "1.20", 120)
    );
    assert_eq!(c.price_pointer, "/egress_usd_per_gb/eu/fast");
    assert_eq!(c.pointer, "/installs/0/new_installs");
    let g = line(&m, "eu", "phone", None, "ga");
    assert_eq!(
        (g.tier.as_str(), g.share.as_str(), g.amount.cents),
        ("standard", "0.9", 270)
    );
    // eu/phone from 2.3.0, 10,000 × 70 MB:
    //   canary: 1000 × 70e6 = 70 GB × 0.08 = $5.60; ga: 9000 × 70e6 = 630 GB × 0.02 = $12.60
    assert_eq!(
        line(&m, "eu", "phone", Some("2.3.0"), "canary")
            .amount
            .cents,
        560
    );
    assert_eq!(
        line(&m, "eu", "phone", Some("2.3.0"), "ga").amount.cents,
        1260
    );
    // eu/phone from 2.2.0, 500 × 150 MB (no delta):
    //   canary: 50 × 150e6 = 7.5 GB × 0.08 = $0.60; ga: 450 × 150e6 = 67.5 GB × 0.02 = $1.35
    assert_eq!(
        line(&m, "eu", "phone", Some("2.2.0"), "canary")
            .amount
            .cents,
        60
    );
    assert!(!line(&m, "eu", "phone", Some("2.2.0"), "ga").delta);
    assert_eq!(
        line(&m, "eu", "phone", Some("2.2.0"), "ga").amount.cents,
        135
    );
    // eu/hub from 2.3.0, 4000 × 20 MB (delta):
    //   canary: 400 × 20e6 = 8 GB × 0.08 = $0.64; ga: 3600 × 20e6 = 72 GB × 0.02 = $1.44
    assert!(line(&m, "eu", "hub", Some("2.3.0"), "canary").delta);
    assert_eq!(
        line(&m, "eu", "hub", Some("2.3.0"), "canary").amount.cents,
        64
    );
    assert_eq!(line(&m, "eu", "hub", Some("2.3.0"), "ga").amount.cents, 144);
    // us: the canary does not apply; ga covers 100 % on standard:
    //   2000 × 150e6 = 300 GB × 0.01 = $3.00
    let us = line(&m, "us", "phone", None, "ga");
    assert_eq!((us.share.as_str(), us.amount.cents), ("1", 300));
    assert!(
        !m.egress
            .lines
            .iter()
            .any(|l| l.region == "us" && l.stage.as_deref() == Some("canary"))
    );
    assert_eq!(m.egress.lines.len(), 9);
    // Regions: eu = 1.20 + 2.70 + 5.60 + 12.60 + 0.60 + 1.35 + 0.64 + 1.44 = 26.13
    // (installs 1000 + 10000 + 500 + 4000 = 15500); us = 3.00 (2000).
    let eu = m.egress.regions.iter().find(|r| r.region == "eu").unwrap();
    assert_eq!((eu.installs, eu.amount.usd.as_str()), (15_500, "26.13"));
    let us = m.egress.regions.iter().find(|r| r.region == "us").unwrap();
    assert_eq!((us.installs, us.amount.usd.as_str()), (2000, "3.00"));
    // Total egress: 26.13 + 3.00 = 29.13.
    assert_eq!(
        m.egress.total,
        Money {
            usd: "29.13".into(),
            cents: 2913,
            exact: "29.13".into()
        }
    );
    // Coverage: eu stages canary, ga → 100 %; us ga → 100 %.
    assert_eq!(m.coverage.len(), 2);
    assert!(m.coverage.iter().all(|c| c.covered && c.percent == "100"));
    assert_eq!(m.coverage[0].stages, ["canary", "ga"]);
    assert_eq!(m.coverage[1].stages, ["ga"]);
}

#[test]
fn inference_with_cloud_fallback_share() {
    let m = ok(&cost_input(), &manifest());
    // eu/phone: 2,000,000 / 1000 = 2000 × (0.001 × (1 − 0.1) + 0.5 × 0.1)
    //         = 2000 × (0.0009 + 0.05) = 2000 × 0.0509 = $101.80
    let eu = &m.inference.lines[0];
    assert_eq!(
        (
            eu.amount.usd.as_str(),
            eu.amount.cents,
            eu.amount.exact.as_str()
        ),
        ("101.80", 10180, "101.8")
    );
    assert_eq!(eu.pointer, "/inference/0");
    // us/phone: 1000 × (0 × 0.75 + 0.2 × 0.25) = 1000 × 0.05 = $50.00
    assert_eq!(m.inference.lines[1].amount.cents, 5000);
    // Inference total 151.80; total = 29.13 + 151.80 = 180.93.
    assert_eq!(m.inference.total.cents, 15180);
    assert_eq!(m.total.usd, "180.93");
}

#[test]
fn budgets_and_headroom() {
    let m = ok(&cost_input(), &manifest());
    // egress_usd "1000": 100000 − 2913 = 97087 cents of headroom.
    let e = m.budgets.egress_usd.as_ref().unwrap();
    assert_eq!(
        (
            e.limit.usd.as_str(),
            e.limit.cents,
            e.headroom.usd.as_str(),
            e.headroom.cents,
            e.within
        ),
        ("1000.00", 100_000, "970.87", 97_087, true)
    );
    // inference_usd 500 (a JSON number): 50000 − 15180 = 34820.
    let i = m.budgets.inference_usd.as_ref().unwrap();
    assert_eq!((i.headroom.cents, i.within), (34_820, true));
    // No total_usd tag.
    assert!(m.budgets.total_usd.is_none());

    // Over budget: egress_usd 20.5 → 2050 − 2913 = −863 cents = −8.63.
    let mut rel = manifest();
    rel["budget"] = json!({"egress_usd": 20.5, "total_usd": "180.93"});
    let m = ok(&cost_input(), &rel);
    let e = m.budgets.egress_usd.unwrap();
    assert_eq!(
        (e.headroom.usd.as_str(), e.headroom.cents, e.within),
        ("-8.63", -863, false)
    );
    // Exactly at the limit is within: 18093 − 18093 = 0.
    let t = m.budgets.total_usd.unwrap();
    assert_eq!((t.headroom.usd.as_str(), t.within), ("0.00", true));
}

#[test]
fn delta_ratios_in_basis_points() {
    // A patch 2^40 times its 1-byte artifact: 2^40 × 10^4 basis points is
    // beyond 2^53 − 1, so it saturates there (still above any sane limit).
    let mut huge = manifest();
    huge["artifacts"][1]["size"] = json!(1);
    huge["artifacts"][1]["deltas"] = json!([{"from_version": "2.3.0", "size": 1u64 << 40}]);
    let m = ok(&cost_input(), &huge);
    let d = m
        .deltas
        .iter()
        .find(|d| d.artifact == "model.tflite")
        .unwrap();
    assert_eq!(
        (d.ratio_bp, d.ratio_permille),
        (Some((1 << 53) - 1), Some((1 << 40) * 1000))
    );
    // An empty patch of an empty artifact is 0; a non-empty one has no ratio.
    huge["artifacts"][1]["size"] = json!(0);
    huge["artifacts"][1]["deltas"] =
        json!([{"from_version": "2.3.0", "size": 0}, {"from_version": "2.2.0", "size": 5}]);
    let m = ok(&cost_input(), &huge);
    let r: Vec<_> = m
        .deltas
        .iter()
        .filter(|d| d.artifact == "model.tflite")
        .map(|d| (d.ratio.clone(), d.ratio_bp))
        .collect();
    assert_eq!(r, [(Some("0.0000".to_owned()), Some(0)), (None, None)]);

    let m = ok(&cost_input(), &manifest());
    // app.bin from 2.3.0: 20e6 / 100e6 = 0.2 → 2000 bp, 200 ‰.
    let d = &m.deltas[0];
    assert_eq!(
        (
            d.artifact.as_str(),
            d.from_version.as_str(),
            d.ratio.as_deref(),
            d.ratio_bp,
            d.ratio_permille
        ),
        ("app.bin", "2.3.0", Some("0.2000"), Some(2000), Some(200))
    );
    // 1 byte over a third: 33,333,334 / 100,000,000 = 0.33333334 → 3333.3334 bp,
    // rounded up to 3334 (so `ratio_bp <= 3333` fails, as the exact ratio does),
    // 333.33334 ‰ up to 334.
    let mut rel = manifest();
    rel["artifacts"][0]["deltas"][0]["size"] = json!(33_333_334u64);
    let m = ok(&cost_input(), &rel);
    assert_eq!(
        (
            m.deltas[0].ratio_bp,
            m.deltas[0].ratio_permille,
            m.deltas[0].ratio.as_deref()
        ),
        (Some(3334), Some(334), Some("0.3334"))
    );
}

#[test]
fn rounds_half_a_cent_away_from_zero_and_totals_from_exact_sums() {
    // One region, no rollout (everything on `standard`). Bytes 1,000,000 = 0.001 GB.
    let rel = json!({
        "schema_version": 1, "name": "x", "version": "2",
        "artifacts": [{"name": "a", "kind": "binary", "size": 1_000_000}],
        "targets": [{"device_class": "d", "regions": ["r", "s"]}]
    });
    // r: 1 install × 0.001 GB × $5 = $0.005 exactly → half a cent → 0.01.
    // s: 1 install × 0.001 GB × $4 = $0.004 → 0.00.
    // Total: exact 0.009 → 0.01 (not 0.01 + 0.00 summed from rounded lines
    // by accident: see the next case).
    let cost = json!({
        "schema_version": 1,
        "egress_usd_per_gb": {"r": {"standard": "5"}, "s": {"standard": "4"}},
        "installs": [
            {"region": "r", "device_class": "d", "new_installs": 1},
            {"region": "s", "device_class": "d", "new_installs": 1}
        ]
    });
    let m = ok(&cost, &rel);
    assert_eq!(
        m.egress.lines[0].amount,
        Money {
            usd: "0.01".into(),
            cents: 1,
            exact: "0.005".into()
        }
    );
    assert_eq!(m.egress.lines[0].stage, None);
    assert_eq!(m.egress.lines[0].tier, "standard");
    assert_eq!(m.egress.lines[1].amount.cents, 0);
    assert_eq!(m.egress.total.exact, "0.009");
    assert_eq!(m.egress.total.cents, 1);
    // Two lines of $0.004 each: 0 + 0 cents when rounded one by one, but the
    // exact total 0.008 rounds to 1 cent.
    let mut cost2 = cost.clone();
    cost2["egress_usd_per_gb"]["r"]["standard"] = json!("4");
    let m = ok(&cost2, &rel);
    assert_eq!(
        (
            m.egress.lines[0].amount.cents,
            m.egress.lines[1].amount.cents
        ),
        (0, 0)
    );
    assert_eq!(
        (m.egress.total.exact.as_str(), m.egress.total.cents),
        ("0.008", 1)
    );
    // 0.0049 rounds down: 1 × 0.001 × 4.9.
    cost2["egress_usd_per_gb"]["r"]["standard"] = json!("4.9");
    let m = ok(&cost2, &rel);
    assert_eq!(
        (
            m.egress.lines[0].amount.exact.as_str(),
            m.egress.lines[0].amount.usd.as_str()
        ),
        ("0.0049", "0.00")
    );
}

fn codes(err: &Problems) -> Vec<(Code, Option<String>)> {
    err.iter()
        .map(|p| (p.code, p.location.as_ref().and_then(|l| l.pointer.clone())))
        .collect()
}

#[test]
fn a_missing_price_is_an_error_located_in_the_cost_file() {
    // eu has a price table but no `fast` tier; the canary routes eu installs
    // through `fast`: one error (not one per line), at the region's table.
    let mut cost = cost_input();
    cost["egress_usd_per_gb"]["eu"]
        .as_object_mut()
        .unwrap()
        .remove("fast");
    let err = run(&cost, &manifest()).unwrap_err();
    assert_eq!(
        codes(&err),
        [(Code::CostPriceMissing, Some("/egress_usd_per_gb/eu".into()))]
    );
    let p = &err.0[0];
    assert!(
        p.message.contains("region `eu` on tier `fast`"),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("rollout stage `canary`"),
        "{}",
        p.message
    );
    assert!(p.location.as_ref().unwrap().line.is_some());
    // A region with no table at all: located at the price tables.
    let mut cost = cost_input();
    cost["egress_usd_per_gb"]
        .as_object_mut()
        .unwrap()
        .remove("us");
    let err = run(&cost, &manifest()).unwrap_err();
    assert_eq!(
        codes(&err),
        [(Code::CostPriceMissing, Some("/egress_usd_per_gb".into()))]
    );
    assert!(err.0[0].help.as_deref().unwrap().contains("\"us\""));
}

#[test]
fn no_price_is_needed_where_nothing_is_routed() {
    // A region whose only forecast is zero installs needs no price.
    let mut cost = cost_input();
    cost["egress_usd_per_gb"]
        .as_object_mut()
        .unwrap()
        .remove("us");
    cost["installs"][1]["new_installs"] = json!(0);
    let m = ok(&cost, &manifest());
    assert!(!m.egress.lines.iter().any(|l| l.region == "us"));
}

#[test]
fn forecasts_for_untargeted_pairs_are_errors_and_missing_ones_warnings() {
    let mut cost = cost_input();
    // us/hub is not targeted (hubs ship to eu only); neither is region `apac`.
    cost["installs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"region": "us", "device_class": "hub", "new_installs": 5}));
    cost["inference"][1]["region"] = json!("apac");
    let err = run(&cost, &manifest()).unwrap_err();
    assert_eq!(
        codes(&err),
        [
            (Code::CostUntargeted, Some("/installs/3".into())),
            (Code::CostUntargeted, Some("/inference/1".into())),
        ]
    );
    assert!(err.0[0].help.as_deref().unwrap().contains("eu/hub"));

    // eu/hub targeted but not forecast: a warning, and listed in the model.
    let mut cost = cost_input();
    cost["installs"].as_array_mut().unwrap().remove(2);
    let (m, warnings) = run(&cost, &manifest()).unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code, Code::CostUnforecast);
    assert_eq!(
        m.unforecast,
        [Pair {
            region: "eu".into(),
            device_class: "hub".into()
        }]
    );
}

#[test]
fn duplicate_forecasts_are_refused() {
    let mut cost = cost_input();
    cost["installs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"region": "us", "device_class": "phone"}));
    cost["installs"][0]["upgrades"]
        .as_array_mut()
        .unwrap()
        .push(json!({"from_version": "2.3.0", "count": 1}));
    let err = run(&cost, &manifest()).unwrap_err();
    let pointers: Vec<_> = codes(&err).into_iter().filter_map(|(_, p)| p).collect();
    assert_eq!(pointers, ["/installs/3", "/installs/0/upgrades/2"]);
}

#[test]
fn coverage_reports_regions_the_rollout_does_not_reach() {
    // Only a 5 % canary in eu, then 30 % everywhere, then a stage that names
    // a lower percent (20): it adds nothing.
    let mut rel = manifest();
    rel["rollout"] = json!([
        {"stage": "canary", "percent": 5, "tier": "fast", "regions": ["eu"]},
        {"stage": "early", "percent": 30},
        {"stage": "late", "percent": 20}
    ]);
    let mut cost = cost_input();
    cost["egress_usd_per_gb"]["us"] = json!({"standard": "0.01"});
    let m = ok(&cost, &rel);
    // eu: canary 5 %, early 30 − 5 = 25 %, late nothing: coverage 30.
    assert_eq!(line(&m, "eu", "phone", None, "early").share, "0.25");
    assert!(
        !m.egress
            .lines
            .iter()
            .any(|l| l.stage.as_deref() == Some("late"))
    );
    let eu = &m.coverage[0];
    assert_eq!((eu.percent.as_str(), eu.covered), ("30", false));
    // us/phone new: 2000 × 0.3 × 150e6 = 90 GB × 0.01 = $0.90.
    assert_eq!(line(&m, "us", "phone", None, "early").amount.cents, 90);
    // A fractional percent stays exact: 12.5 % → share 0.125.
    rel["rollout"] = json!([{"stage": "one", "percent": 12.5}]);
    let m = ok(&cost, &rel);
    assert_eq!(line(&m, "us", "phone", None, "one").share, "0.125");
    assert_eq!(m.coverage[1].percent, "12.5");
}

#[test]
fn huge_counts_do_not_overflow() {
    // 2^53 − 1 = 9,007,199,254,740,991 new installs of a 1 GB artifact at
    // $0.01 per GB = $90,071,992,547,409.91 = 9,007,199,254,740,991 cents:
    // exactly the largest amount reported.
    let rel = json!({
        "schema_version": 1, "name": "x", "version": "2",
        "artifacts": [{"name": "a", "kind": "binary", "size": 1_000_000_000u64}],
        "targets": [{"device_class": "d", "regions": ["r"]}]
    });
    let mut cost = json!({
        "schema_version": 1,
        "egress_usd_per_gb": {"r": {"standard": "0.01"}},
        "installs": [{"region": "r", "device_class": "d", "new_installs": 9_007_199_254_740_991u64}],
        "inference": [{"region": "r", "device_class": "d", "inferences": 9_007_199_254_740_991u64,
                       "on_device_usd_per_1k": "0", "cloud_usd_per_1k": "0.000000000001",
                       "cloud_fallback_share": "0.000000000001"}]
    });
    let m = ok(&cost, &rel);
    assert_eq!(m.egress.total.cents, 9_007_199_254_740_991);
    assert_eq!(m.egress.total.usd, "90071992547409.91");
    // Inference: 9,007,199,254,740.991 thousands × 10⁻¹² × 10⁻¹² USD — tiny,
    // exact to the last digit: 9.007199254740991e12 × 1e-24 = 9.007199254740991e-12.
    assert_eq!(
        m.inference.lines[0].amount.exact,
        "0.000000000009007199254740991"
    );
    assert_eq!(m.inference.total.cents, 0);
    // Twice the price: beyond 2^53 − 1 cents: an error, not a wrapped number.
    cost["egress_usd_per_gb"]["r"]["standard"] = json!("0.02");
    let err = run(&cost, &rel).unwrap_err();
    assert!(err.iter().all(|p| p.code == Code::CostOverflow), "{err:?}");
    assert!(err.iter().any(|p| p.message.contains("total egress")));
}

#[test]
fn refuses_malformed_amounts_and_unknown_fields() {
    let mut cost = cost_input();
    cost["egress_usd_per_gb"]["eu"]["fast"] = json!(0.08);
    cost["inference"][0]["cloud_fallback_share"] = json!("1.5");
    cost["inference"][1]["price"] = json!("1");
    let err = load(&source(&cost)).unwrap_err();
    let pointers: Vec<_> = codes(&err).into_iter().filter_map(|(_, p)| p).collect();
    assert!(
        pointers.contains(&"/egress_usd_per_gb/eu/fast".to_owned()),
        "{pointers:?}"
    );
    assert!(
        pointers.contains(&"/inference/0/cloud_fallback_share".to_owned()),
        "{pointers:?}"
    );
    assert!(
        pointers.contains(&"/inference/1".to_owned()),
        "{pointers:?}"
    );
}

#[test]
fn the_example_loads_and_the_model_matches_its_schema() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/examples/cost-input.json"
    ));
    let example = SourceFile::from_text("cost-input.json", text);
    let input = load(&example).unwrap();
    let m = ok(&cost_input(), &manifest());
    let schema: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/cost-model.schema.json"
    )))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value = serde_json::to_value(&m).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!input.installs.is_empty());
}

#[test]
fn the_example_computes_against_the_shipped_example_release() {
    let rel_text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/edge-agent-pass/release.json"
    ));
    let rel = ReleaseManifest::load(&SourceFile::from_text("release.json", rel_text)).unwrap();
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/examples/cost-input.json"
    ));
    let file = SourceFile::from_text("cost.json", text);
    let (m, warnings) = compute(&file, &load(&file).unwrap(), &rel).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // The example stays within the example release's budgets.
    assert!(m.budgets.egress_usd.unwrap().within);
    assert!(m.budgets.inference_usd.unwrap().within);
    assert!(m.coverage.iter().all(|c| c.covered));
}

/// A model for renderer tests: egress over its budget (20.50 against 29.13),
/// no `total_usd` tag, and `us` only 30 % reached.
pub(crate) fn sample_model() -> CostModel {
    let mut rel = manifest();
    rel["budget"] = json!({"egress_usd": "20.50", "inference_usd": "500"});
    rel["rollout"][1]["regions"] = json!(["eu"]);
    rel["rollout"]
        .as_array_mut()
        .unwrap()
        .push(json!({"stage": "us-early", "percent": 30, "regions": ["us"]}));
    ok(&cost_input(), &rel)
}
