//! Exact non-negative decimals for money, shares and byte counts.
//!
//! A cost figure is a product of four or five inputs (installs × share ×
//! bytes × price ÷ 10⁹). With prices of nine decimal places and fleets of a
//! billion devices that product needs more than 128 bits, so a fixed-width
//! integer would either overflow on realistic input or silently lose digits.
//! A decimal here is an arbitrary-precision integer and a power of ten:
//! addition and multiplication are exact, and rounding happens once, where a
//! figure is reported (to cents, half away from zero).

use std::cmp::Ordering;
use std::fmt;

use num_bigint::BigUint;

/// Longest decimal string accepted (the schemas allow far less).
const MAX_DIGITS: usize = 64;

/// `units / 10^scale`, never negative.
#[derive(Debug, Clone)]
pub struct Decimal {
    units: BigUint,
    scale: u32,
}

fn pow10(n: u32) -> BigUint {
    BigUint::from(10u32).pow(n)
}

impl Decimal {
    /// Zero.
    pub fn zero() -> Decimal {
        Decimal {
            units: BigUint::ZERO,
            scale: 0,
        }
    }

    /// A whole number.
    pub fn from_u64(n: u64) -> Decimal {
        Decimal {
            units: BigUint::from(n),
            scale: 0,
        }
    }

    /// Parses `^[0-9]+(\.[0-9]+)?$` (no sign, no exponent); `None` otherwise.
    pub fn parse(s: &str) -> Option<Decimal> {
        if s.is_empty() || s.len() > MAX_DIGITS {
            return None;
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
            return None;
        }
        let all = format!("{int}{frac}");
        let units = BigUint::parse_bytes(all.as_bytes(), 10)?;
        Some(Decimal {
            units,
            scale: u32::try_from(frac.len()).ok()?,
        })
    }

    /// The exact decimal a JSON number was written as, as far as a binary
    /// double can tell: Rust prints the shortest digits that read back as the
    /// same double, never in exponent form, so `0.1` is 0.1 and not
    /// 0.1000000000000000055…. `None` for negative or non-finite values.
    pub fn from_f64(x: f64) -> Option<Decimal> {
        if !x.is_finite() || x < 0.0 {
            return None;
        }
        Decimal::parse(&format!("{x}"))
    }

    /// The exact decimal of a JSON number (integer or not).
    pub fn from_json_number(n: &serde_json::Number) -> Option<Decimal> {
        match n.as_u64() {
            Some(u) => Some(Decimal::from_u64(u)),
            None => Decimal::from_f64(n.as_f64()?),
        }
    }

    fn rescaled(&self, scale: u32) -> BigUint {
        // Only ever called with scale >= self.scale.
        &self.units * pow10(scale.saturating_sub(self.scale))
    }

    /// `self + other`, exact.
    pub fn add(&self, other: &Decimal) -> Decimal {
        let scale = self.scale.max(other.scale);
        Decimal {
            units: self.rescaled(scale) + other.rescaled(scale),
            scale,
        }
    }

    /// `self - other`, exact; `None` when the result would be negative.
    pub fn sub(&self, other: &Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.rescaled(scale), other.rescaled(scale));
        (a >= b).then(|| Decimal {
            units: a - b,
            scale,
        })
    }

    /// `self × other`, exact.
    pub fn mul(&self, other: &Decimal) -> Decimal {
        Decimal {
            units: &self.units * &other.units,
            scale: self.scale.saturating_add(other.scale),
        }
    }

    /// `self ÷ 10^n`, exact (only the scale moves).
    pub fn shift_down(&self, n: u32) -> Decimal {
        Decimal {
            units: self.units.clone(),
            scale: self.scale.saturating_add(n),
        }
    }

    /// Is it zero?
    pub fn is_zero(&self) -> bool {
        self.units == BigUint::ZERO
    }

    /// The value in units of `10^-places`, rounded half away from zero (for
    /// these non-negative numbers: a remainder of exactly one half rounds up).
    pub fn round_units(&self, places: u32) -> BigUint {
        if self.scale <= places {
            return self.rescaled(places);
        }
        let divisor = pow10(self.scale - places);
        let quotient = &self.units / &divisor;
        let remainder = &self.units % &divisor;
        if remainder * 2u32 >= divisor {
            quotient + 1u32
        } else {
            quotient
        }
    }

    /// The value in units of `10^-places`, rounded up (towards +∞).
    pub fn ceil_units(&self, places: u32) -> BigUint {
        if self.scale <= places {
            return self.rescaled(places);
        }
        let divisor = pow10(self.scale - places);
        let quotient = &self.units / &divisor;
        if &self.units % &divisor == BigUint::ZERO {
            quotient
        } else {
            quotient + 1u32
        }
    }

    /// `numerator / denominator` rounded up to `places` decimal places, as
    /// units of `10^-places`; `None` when the denominator is zero.
    pub fn ratio_ceil_units(numerator: u64, denominator: u64, places: u32) -> Option<BigUint> {
        if denominator == 0 {
            return None;
        }
        let n = BigUint::from(numerator) * pow10(places);
        let d = BigUint::from(denominator);
        let q = &n / &d;
        Some(if &n % &d == BigUint::ZERO {
            q
        } else {
            q + 1u32
        })
    }

    /// Units of `10^-places` written as a decimal with exactly `places`
    /// fraction digits (`1235`, 2 → `12.35`).
    pub fn units_to_fixed(units: &BigUint, places: u32) -> String {
        let digits = units.to_string();
        let places = usize::try_from(places).unwrap_or(usize::MAX);
        if places == 0 {
            return digits;
        }
        let padded = if digits.len() <= places {
            format!("{}{digits}", "0".repeat(places + 1 - digits.len()))
        } else {
            digits
        };
        let cut = padded.len() - places;
        match (padded.get(..cut), padded.get(cut..)) {
            (Some(i), Some(f)) => format!("{i}.{f}"),
            _ => padded,
        }
    }

    /// Rounded half away from zero to `places` fraction digits, all written.
    pub fn to_fixed(&self, places: u32) -> String {
        Decimal::units_to_fixed(&self.round_units(places), places)
    }
}

/// The exact value, without trailing fraction zeros (`12.5`, `0`, `3`).
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fixed = Decimal::units_to_fixed(&self.units, self.scale);
        let trimmed = if fixed.contains('.') {
            fixed.trim_end_matches('0').trim_end_matches('.')
        } else {
            fixed.as_str()
        };
        f.write_str(trimmed)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.rescaled(scale).cmp(&other.rescaled(scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn parses_only_plain_decimals() {
        assert_eq!(d("0.085").to_string(), "0.085");
        assert_eq!(d("12.500").to_string(), "12.5");
        assert_eq!(d("7").to_string(), "7");
        assert_eq!(d("0.000").to_string(), "0");
        for bad in ["", ".5", "5.", "-1", "1e3", "1.2.3", " 1", "0x10", "１"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn reads_json_numbers_as_written() {
        // 0.1 as a double is 0.1000000000000000055511151231257827…; the
        // shortest digits that read back as the same double are "0.1".
        assert_eq!(Decimal::from_f64(0.1).unwrap(), d("0.1"));
        assert_eq!(Decimal::from_f64(5.0).unwrap(), d("5"));
        assert_eq!(
            Decimal::from_f64(1e21).unwrap().to_string(),
            "1000000000000000000000"
        );
        assert!(Decimal::from_f64(-1.0).is_none());
    }

    #[test]
    fn arithmetic_is_exact() {
        // 0.1 + 0.2 = 0.3 exactly (it is 0.30000000000000004 in binary floats).
        assert_eq!(d("0.1").add(&d("0.2")), d("0.3"));
        assert_eq!(d("1").sub(&d("0.05")).unwrap(), d("0.95"));
        assert!(d("0.05").sub(&d("1")).is_none());
        assert_eq!(d("0.085").mul(&d("1.5")), d("0.1275"));
        assert_eq!(d("123").shift_down(9).to_string(), "0.000000123");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(d("0.005").to_fixed(2), "0.01");
        assert_eq!(d("0.0049999").to_fixed(2), "0.00");
        assert_eq!(d("2.345").to_fixed(2), "2.35");
        assert_eq!(d("2.355").to_fixed(2), "2.36");
        assert_eq!(d("7").to_fixed(2), "7.00");
        assert_eq!(d("0.1").to_fixed(0), "0");
        assert_eq!(d("0.5").to_fixed(0), "1");
    }

    #[test]
    fn ratios_round_up() {
        // 812345 / 8123456 = 0.09999992…: 999.99926 basis points, up to 1000.
        assert_eq!(
            Decimal::ratio_ceil_units(812_345, 8_123_456, 4).unwrap(),
            BigUint::from(1000u32)
        );
        // 1 / 4 = 0.25 exactly: 2500.
        assert_eq!(
            Decimal::ratio_ceil_units(1, 4, 4).unwrap(),
            BigUint::from(2500u32)
        );
        assert!(Decimal::ratio_ceil_units(1, 0, 4).is_none());
    }

    #[test]
    fn does_not_overflow_on_huge_products() {
        // (2^53 - 1)^3 needs 159 bits; i128 would overflow.
        let big = Decimal::from_u64(9_007_199_254_740_991);
        let cube = big.mul(&big).mul(&big);
        assert_eq!(
            cube.to_string(),
            "730750818665451215712927172538123444058715062271"
        );
    }
}
