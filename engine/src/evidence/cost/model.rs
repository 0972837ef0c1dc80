//! The computed cost model: what policies see as `cost`.
//!
//! Every figure a rule compares is an integer (`cents`, `ratio_bp`, byte
//! counts) so Rego and CEL compare it exactly; every amount is also written
//! as a decimal string rounded to cents for people, and as the exact decimal
//! it was rounded from, so a reviewer can redo the arithmetic line by line.
//! Schema: `schemas/cost-model.schema.json`; documented in `docs/cost.md`.

use serde::Serialize;

/// An amount in US dollars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Money {
    /// Rounded to cents, half away from zero, two fraction digits (`"12.35"`).
    pub usd: String,
    /// The same amount in whole cents (`1235`): what rules compare.
    pub cents: i64,
    /// The exact amount before rounding (`"12.3456789"`).
    pub exact: String,
}

/// A difference of two rounded amounts (may be negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Headroom {
    /// Two fraction digits, with a `-` when over budget (`"-3.50"`).
    pub usd: String,
    /// Whole cents (`-350`).
    pub cents: i64,
}

/// The whole model.
#[derive(Debug, Clone, Serialize)]
pub struct CostModel {
    /// The cost file as the user named it (for `file` + `pointer` details).
    pub file: String,
    /// The forecast period's label, as given.
    pub period: Option<String>,
    /// Always `USD`.
    pub currency: String,
    /// What one install downloads, per device class and starting version.
    pub downloads: Vec<Download>,
    /// Delivery (egress) cost.
    pub egress: Egress,
    /// Inference cost.
    pub inference: Inference,
    /// Egress plus inference (from the exact sums, then rounded).
    pub total: Money,
    /// The manifest's budget tags against the computed totals.
    pub budgets: Budgets,
    /// Every delta patch's size against its artifact's full size.
    pub deltas: Vec<DeltaRatio>,
    /// How much of each targeted region the rollout reaches.
    pub coverage: Vec<Coverage>,
    /// Targeted (region, device class) pairs the cost file has no install
    /// forecast for: their egress is not in the totals.
    pub unforecast: Vec<Pair>,
}

/// The bytes one install of a device class downloads.
#[derive(Debug, Clone, Serialize)]
pub struct Download {
    /// Device class.
    pub device_class: String,
    /// `null` for a new install, else the version upgraded from.
    pub from_version: Option<String>,
    /// Sum of `artifacts[].bytes`.
    pub bytes: u64,
    /// Every artifact came as a delta patch (always false for new installs).
    pub delta: bool,
    /// Each artifact the device class installs.
    pub artifacts: Vec<DownloadPart>,
}

/// One artifact of a download.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadPart {
    /// Manifest artifact name.
    pub artifact: String,
    /// Bytes downloaded: the delta's size, or the full size.
    pub bytes: u64,
    /// The artifact's full size.
    pub full_size: u64,
    /// A delta patch from `from_version` was used.
    pub delta: bool,
}

/// Delivery cost.
#[derive(Debug, Clone, Serialize)]
pub struct Egress {
    /// One line per (forecast, install kind, rollout stage).
    pub lines: Vec<EgressLine>,
    /// Per region, the exact sum of its lines.
    pub regions: Vec<RegionEgress>,
    /// The exact sum of every line, rounded.
    pub total: Money,
}

/// `amount = installs × share × bytes × usd_per_gb ÷ 10⁹`.
#[derive(Debug, Clone, Serialize)]
pub struct EgressLine {
    /// Region.
    pub region: String,
    /// Device class.
    pub device_class: String,
    /// `new` or `upgrade`.
    pub install: String,
    /// Version upgraded from (`null` for new installs).
    pub from_version: Option<String>,
    /// Every artifact came as a delta patch.
    pub delta: bool,
    /// Rollout stage (`null` when the manifest has no rollout).
    pub stage: Option<String>,
    /// Delivery tier the stage routes through.
    pub tier: String,
    /// The stage's share of the region's installs, exact (`"0.15"`).
    pub share: String,
    /// Forecast installs of this kind in the region and device class.
    pub installs: u64,
    /// Bytes per install.
    pub bytes: u64,
    /// Price of the region and tier, USD per GB (10⁹ bytes).
    pub usd_per_gb: String,
    /// The line's cost.
    pub amount: Money,
    /// JSON pointer of the install count in the cost file.
    pub pointer: String,
    /// JSON pointer of the price in the cost file.
    pub price_pointer: String,
}

/// Delivery cost of one region.
#[derive(Debug, Clone, Serialize)]
pub struct RegionEgress {
    /// Region.
    pub region: String,
    /// Forecast installs (new and upgrades, every device class).
    pub installs: u64,
    /// Exact sum of the region's lines, rounded.
    pub amount: Money,
}

/// Inference cost.
#[derive(Debug, Clone, Serialize)]
pub struct Inference {
    /// One line per inference forecast.
    pub lines: Vec<InferenceLine>,
    /// The exact sum of every line, rounded.
    pub total: Money,
}

/// `amount = inferences ÷ 1000 × (on_device × (1 − share) + cloud × share)`.
#[derive(Debug, Clone, Serialize)]
pub struct InferenceLine {
    /// Region.
    pub region: String,
    /// Device class.
    pub device_class: String,
    /// Inferences over the forecast period.
    pub inferences: u64,
    /// USD per 1,000 inferences run on the device.
    pub on_device_usd_per_1k: String,
    /// USD per 1,000 inferences run in the cloud fallback.
    pub cloud_usd_per_1k: String,
    /// Share of inferences that fall back to the cloud, in [0, 1].
    pub cloud_fallback_share: String,
    /// The line's cost.
    pub amount: Money,
    /// JSON pointer of the forecast in the cost file.
    pub pointer: String,
}

/// Budget tags of the manifest (`null` when the tag is absent).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Budgets {
    /// `budget.egress_usd` against `egress.total`.
    pub egress_usd: Option<Budget>,
    /// `budget.inference_usd` against `inference.total`.
    pub inference_usd: Option<Budget>,
    /// `budget.total_usd` against `total`.
    pub total_usd: Option<Budget>,
}

/// One budget tag against the figure it caps.
#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    /// The tag's name.
    pub tag: String,
    /// The budget, rounded to cents like every amount.
    pub limit: Money,
    /// The computed figure it caps.
    pub spent: Money,
    /// `limit.cents − spent.cents`.
    pub headroom: Headroom,
    /// `spent.cents <= limit.cents`.
    pub within: bool,
}

/// A delta patch against its artifact.
#[derive(Debug, Clone, Serialize)]
pub struct DeltaRatio {
    /// Manifest artifact name.
    pub artifact: String,
    /// Version the patch applies to.
    pub from_version: String,
    /// Patch size in bytes.
    pub size: u64,
    /// The artifact's full size in bytes.
    pub full_size: u64,
    /// `size ÷ full_size` rounded up to 4 decimals (`"0.2501"`); `null` when
    /// the artifact is empty and the patch is not.
    pub ratio: Option<String>,
    /// The ratio in basis points, rounded up: `ratio_bp <= N` holds exactly
    /// when `size ÷ full_size <= N ÷ 10000`.
    pub ratio_bp: Option<i64>,
    /// The ratio in per-mille, rounded up likewise.
    pub ratio_permille: Option<i64>,
}

/// How much of a targeted region the rollout reaches.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Region.
    pub region: String,
    /// Percent of the region's installs delivered by the last stage that
    /// applies to it, exact (`"100"`, `"20"`, `"0"`).
    pub percent: String,
    /// `percent` is 100.
    pub covered: bool,
    /// The stages that apply to the region, in order.
    pub stages: Vec<String>,
}

/// A region and a device class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pair {
    /// Region.
    pub region: String,
    /// Device class.
    pub device_class: String,
}
