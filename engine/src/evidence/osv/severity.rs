//! Severity of an advisory: a CVSS v3 base score computed from its vector, or
//! the level the database wrote.
//!
//! OSV records carry CVSS *vectors*, not scores. shipgate computes the CVSS
//! v3.1 base score itself (the specification's formulas, section 7.1, with its
//! `Roundup` from Appendix A) so that the score a rule sees does not depend on
//! which database rounded it. CVSS v4 has no closed formula (its score comes
//! from a lookup table of macro vectors), so for v4-only (and v2-only) records
//! the level the database assigned (`database_specific.severity`, as GHSA
//! writes it) is used, else the severity is `unknown`.

use std::collections::BTreeMap;

use serde::Serialize;

/// A qualitative severity level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No usable severity information.
    Unknown,
    /// CVSS 0.1–3.9 (and 0.0).
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Level {
    /// The level of a CVSS base score (CVSS v3.1 specification, table 14).
    /// A score of 0.0 ("None") is reported as `low` so that the match still shows.
    pub fn of_score(score: f64) -> Level {
        if score >= 9.0 {
            Level::Critical
        } else if score >= 7.0 {
            Level::High
        } else if score >= 4.0 {
            Level::Medium
        } else {
            Level::Low
        }
    }

    /// A level a database wrote: `CRITICAL`, `HIGH`, `MODERATE`/`MEDIUM`, `LOW`
    /// (any case); Ubuntu's `negligible` is `low`.
    pub fn of_word(word: &str) -> Option<Level> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(Level::Critical),
            "high" | "important" => Some(Level::High),
            "moderate" | "medium" => Some(Level::Medium),
            "low" | "negligible" => Some(Level::Low),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// Why a CVSS v3 vector gives no score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorError(pub String);

/// The CVSS v3.x base score of `vector` (`CVSS:3.0/...` or `CVSS:3.1/...`).
/// Temporal and environmental metrics are ignored: the base score is what
/// advisories publish. Both versions use the v3.1 `Roundup`, which differs from
/// v3.0's only by floating-point artefacts.
pub fn cvss3_base_score(vector: &str) -> Result<f64, VectorError> {
    let mut parts = vector.split('/');
    match parts.next() {
        Some("CVSS:3.0" | "CVSS:3.1") => {}
        _ => {
            return Err(VectorError(
                "does not start with `CVSS:3.0/` or `CVSS:3.1/`".into(),
            ));
        }
    }
    let mut metrics = BTreeMap::new();
    for part in parts {
        let Some((k, v)) = part.split_once(':') else {
            return Err(VectorError(format!("`{part}` is not `METRIC:VALUE`")));
        };
        if metrics.insert(k, v).is_some() {
            return Err(VectorError(format!("metric `{k}` appears twice")));
        }
    }
    let get = |k: &str| {
        metrics
            .get(k)
            .copied()
            .ok_or_else(|| VectorError(format!("base metric `{k}` is missing")))
    };
    let bad = |k: &str, v: &str| VectorError(format!("`{k}:{v}` is not a CVSS v3 value"));
    let changed = match get("S")? {
        "U" => false,
        "C" => true,
        v => return Err(bad("S", v)),
    };
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        v => return Err(bad("AV", v)),
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        v => return Err(bad("AC", v)),
    };
    let pr = match (get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        (v, _) => return Err(bad("PR", v)),
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        v => return Err(bad("UI", v)),
    };
    let cia = |k: &str| -> Result<f64, VectorError> {
        match get(k)? {
            "H" => Ok(0.56),
            "L" => Ok(0.22),
            "N" => Ok(0.0),
            v => Err(bad(k, v)),
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Ok(roundup(raw))
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is equal to
/// or higher than its input, computed on integers to avoid `ceil(4.000001)`.
fn roundup(input: f64) -> f64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "input is in 0..=10.8, so input * 100000 fits an i64"
    )]
    let int_input = (input * 100_000.0).round() as i64;
    #[expect(
        clippy::cast_precision_loss,
        reason = "values are at most 1,080,000, exact in f64"
    )]
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // Scores as the FIRST calculator and NVD publish them.
        for (vector, score) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), // log4shell
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4),  // lodash CVE-2020-8203
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1),  // requests CVE-2023-32681
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),  // HTTP/2 rapid reset
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),  // typical reflected XSS
            ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            // Temporal metrics do not change the base score.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O", 9.8),
        ] {
            assert_eq!(cvss3_base_score(vector), Ok(score), "{vector}");
        }
    }

    #[test]
    fn roundup_follows_the_spec() {
        assert_eq!(roundup(4.0), 4.0);
        assert_eq!(roundup(4.02), 4.1);
        assert_eq!(roundup(4.000_000_1), 4.0);
    }

    #[test]
    fn broken_vectors_are_errors() {
        assert!(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").is_err());
        assert!(cvss3_base_score("CVSS:2.0/AV:N").is_err());
        assert!(cvss3_base_score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(Level::of_score(9.8), Level::Critical);
        assert_eq!(Level::of_score(7.0), Level::High);
        assert_eq!(Level::of_score(6.9), Level::Medium);
        assert_eq!(Level::of_score(0.1), Level::Low);
        assert_eq!(Level::of_word("MODERATE"), Some(Level::Medium));
        assert_eq!(Level::of_word("whatever"), None);
    }
}
