//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `0.5`), parsed and compared exactly as
//! the API server's `resource.Quantity` does, without floating point.
//!
//! Grammar (Kubernetes `<quantity> ::= <signedNumber><suffix>`):
//!
//! | part | forms |
//! |---|---|
//! | sign | optional `+` or `-` |
//! | number | `1`, `1.`, `1.5`, `.5` (at least one digit) |
//! | binary SI suffix | `Ki` `Mi` `Gi` `Ti` `Pi` `Ei` (powers of 1024) |
//! | decimal SI suffix | `n` `u` `m` (none) `k` `M` `G` `T` `P` `E` |
//! | decimal exponent | `e` or `E`, an optional sign, digits: `1e3`, `5E-2` |
//!
//! Anything else is an error: `1K` (decimal kilo is `k`), `1ki`, `1e`, `1.5.2`, `Gi`, ` 1`, an
//! empty string. As in Kubernetes, a value is rounded *up* (away from zero) to the nearest nano
//! (10^-9) and its magnitude is capped at 2^63-1, so every quantity is held exactly as a count
//! of nano units in an `i128` and compared by that count: `1Gi` = `1073741824` = `1.073741824G`,
//! `0.5` = `500m`, `1e3` = `1k`.

use crate::prelude::*;
use core::cmp::Ordering;
use core::fmt;

/// Longest quantity text accepted (Kubernetes has no limit; anything longer than this is not a
/// resource quantity anybody writes, and refusing it bounds the work).
pub const MAX_LEN: usize = 128;

/// Nano units per unit.
const NANO: u128 = 1_000_000_000;

/// The largest magnitude Kubernetes keeps (2^63-1), in nano units.
const CAP_NANOS: u128 = (i64::MAX as u128) * NANO;

/// A parsed quantity: its exact value in nano units (10^-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// Why a text is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a quantity: {}", self.text, self.reason)
    }
}

impl core::error::Error for QuantityError {}

/// How the suffix scales the number.
enum Scale {
    /// × 10^e
    Decimal(i64),
    /// × 1024^n
    Binary(u32),
}

fn suffix_scale(s: &str) -> Option<Scale> {
    Some(match s {
        "" => Scale::Decimal(0),
        "n" => Scale::Decimal(-9),
        "u" => Scale::Decimal(-6),
        "m" => Scale::Decimal(-3),
        "k" => Scale::Decimal(3),
        "M" => Scale::Decimal(6),
        "G" => Scale::Decimal(9),
        "T" => Scale::Decimal(12),
        "P" => Scale::Decimal(15),
        "E" => Scale::Decimal(18),
        "Ki" => Scale::Binary(1),
        "Mi" => Scale::Binary(2),
        "Gi" => Scale::Binary(3),
        "Ti" => Scale::Binary(4),
        "Pi" => Scale::Binary(5),
        "Ei" => Scale::Binary(6),
        _ => {
            let rest = s.strip_prefix(['e', 'E'])?;
            let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Kubernetes reads the exponent as a 32-bit integer.
            return rest
                .parse::<i32>()
                .ok()
                .map(|e| Scale::Decimal(i64::from(e)));
        }
    })
}

/// Multiplies a big decimal (most significant digit first) by a small factor in place.
fn mul_small(digits: &mut Vec<u8>, factor: u32) {
    let mut carry: u64 = 0;
    for d in digits.iter_mut().rev() {
        let v = u64::from(*d) * u64::from(factor) + carry;
        *d = (v % 10) as u8;
        carry = v / 10;
    }
    while carry > 0 {
        digits.insert(0, (carry % 10) as u8);
        carry /= 10;
    }
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// Parses a quantity as Kubernetes does (see the module documentation).
    ///
    /// # Errors
    /// A [`QuantityError`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let err = |reason| QuantityError {
            text: text.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(err("it is empty"));
        }
        if text.len() > MAX_LEN {
            return Err(err("it is too long"));
        }
        let b = text.as_bytes();
        let mut pos = 0;
        let negative = match b[0] {
            b'-' => {
                pos = 1;
                true
            }
            b'+' => {
                pos = 1;
                false
            }
            _ => false,
        };
        let int_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        let int_part = &b[int_start..pos];
        let mut frac_part: &[u8] = &[];
        if pos < b.len() && b[pos] == b'.' {
            pos += 1;
            let frac_start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            frac_part = &b[frac_start..pos];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err("it has no digits before its suffix"));
        }
        let scale = suffix_scale(&text[pos..]).ok_or_else(|| {
            err("the suffix is not one of n u m k M G T P E Ki Mi Gi Ti Pi Ei or an exponent e<N>")
        })?;

        // The number as digits D and a decimal exponent: value = D × 10^exp10 × 1024^bin.
        let mut digits: Vec<u8> = int_part
            .iter()
            .chain(frac_part)
            .map(|c| c - b'0')
            .skip_while(|d| *d == 0)
            .collect();
        if digits.is_empty() {
            return Ok(Quantity::ZERO);
        }
        let mut exp10 = -(frac_part.len() as i64);
        match scale {
            Scale::Decimal(e) => exp10 += e,
            Scale::Binary(n) => {
                for _ in 0..n {
                    mul_small(&mut digits, 1024);
                }
            }
        }
        // In nano units: D × 10^(exp10 + 9), rounded up, capped.
        let shift = exp10 + 9;
        let magnitude = if shift >= 0 {
            // D has no leading zero, so it is at least 10^(len-1); past 10^29 it is over the cap.
            if digits.len() as i64 + shift > 30 {
                CAP_NANOS
            } else {
                let mut v: u128 = 0;
                for d in &digits {
                    v = v * 10 + u128::from(*d);
                }
                for _ in 0..shift {
                    v *= 10;
                }
                v.min(CAP_NANOS)
            }
        } else {
            let drop = (-shift) as u64;
            let keep = (digits.len() as u64).saturating_sub(drop) as usize;
            let (whole, rest) = digits.split_at(keep);
            let round_up = u128::from(rest.iter().any(|d| *d != 0));
            if whole.len() > 30 {
                CAP_NANOS
            } else {
                let mut v: u128 = 0;
                for d in whole {
                    v = v * 10 + u128::from(*d);
                }
                (v + round_up).min(CAP_NANOS)
            }
        };
        let nanos = magnitude as i128;
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// The value in nano units (10^-9).
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    /// The value in milli units, rounded up (as Kubernetes' `MilliValue`).
    pub fn milli_value(self) -> i128 {
        let q = self.nanos.div_euclid(1_000_000);
        if self.nanos.rem_euclid(1_000_000) == 0 {
            q
        } else {
            q + 1
        }
    }

    /// The value in whole units, rounded up (as Kubernetes' `Value`, which the kubelet uses for
    /// memory in bytes).
    pub fn value(self) -> i128 {
        let q = self.nanos.div_euclid(NANO as i128);
        if self.nanos.rem_euclid(NANO as i128) == 0 {
            q
        } else {
            q + 1
        }
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// Compares with another quantity (the same as `Ord`, spelled out for readability).
    pub fn compare(self, other: Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

/// How the kubelet reads a container's `limits.<resource>` and `requests.<resource>`: whether
/// a value it is given means "nothing set".
///
/// Source rules (kubelet, `pkg/kubelet/kuberuntime`, `calculateLinuxResources` and
/// `milliCPUToQuota`; Windows `CpuMaximum` follows the same zero test):
///
/// - `limits.cpu` becomes the CFS quota from `MilliValue()` (rounded *up* to the millicore):
///   `milliCPUToQuota` returns no quota at all for 0m, so a CPU limit of 0 is no limit; any
///   positive value is at least 1m and gets a quota of at least 1 ms per 100 ms period (never
///   unlimited).
/// - `limits.memory` becomes `MemoryLimitInBytes` from `Value()` (rounded *up* to the byte) only
///   `if memLimit != 0`: a memory limit of 0 is no limit; any positive value is at least 1 byte.
/// - The API server rounds every non-zero quantity *up* to at least 1n when it parses it
///   ("if you want some resources, you should get some"), so nothing but a zero (`0`, `0m`,
///   `0Gi`, `-0`, `0.0`, `0e9`) reaches the kubelet as 0: `0.0001` CPU is 1m, not 0m.
/// - `requests.cpu`/`requests.memory` of 0: the QoS class (`GetPodQOS`) counts only requests
///   `> 0`, and 0 CPU gets the minimum 2 CPU shares: a zero request reserves nothing.
/// - `ephemeral-storage` is *not* like this: a container limit of 0 is skipped by the
///   per-container eviction check, but the pod-level check (`podEphemeralStorageLimitEviction`)
///   sums the containers' limits and evicts a pod using more than that sum, so a zero
///   ephemeral-storage limit is a (tight) limit, not "no limit".
pub fn kubelet_reads_as_unset(resource: &str, q: Quantity) -> bool {
    match resource {
        "cpu" => q.milli_value() == 0,
        "memory" => q.value() == 0,
        _ => false,
    }
}

impl fmt::Display for Quantity {
    /// The exact decimal value, e.g. `0.5`, `1073741824`, `-0.000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mag = self.nanos.unsigned_abs();
        let (whole, frac) = (mag / NANO, mag % NANO);
        if self.nanos < 0 {
            f.write_str("-")?;
        }
        write!(f, "{whole}")?;
        if frac != 0 {
            let s = format!("{frac:09}");
            write!(f, ".{}", s.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

impl core::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn n(s: &str) -> i128 {
        q(s).nanos()
    }

    #[test]
    fn decimal_si() {
        assert_eq!(n("1"), 1_000_000_000);
        assert_eq!(n("500m"), 500_000_000);
        assert_eq!(n("0.5"), 500_000_000);
        assert_eq!(n("1k"), 1_000_000_000_000);
        assert_eq!(n("2M"), 2_000_000_000_000_000);
        assert_eq!(n("1G"), 1_000_000_000 * 1_000_000_000);
        assert_eq!(n("3T"), 3_000_000_000_000 * 1_000_000_000);
        assert_eq!(n("1P"), 10i128.pow(24));
        assert_eq!(n("1E"), 10i128.pow(27));
        assert_eq!(n("1u"), 1_000);
        assert_eq!(n("1n"), 1);
        assert_eq!(n("100m"), n("0.1"));
        assert_eq!(q("1500m"), q("1.5"));
    }

    #[test]
    fn binary_si() {
        assert_eq!(n("1Ki"), 1024 * 1_000_000_000);
        assert_eq!(n("1Mi"), 1_048_576 * 1_000_000_000);
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1.5Gi"), q("1536Mi"));
        assert_eq!(q("0.5Ki"), q("512"));
        assert_eq!(q("1Ti"), q("1024Gi"));
        assert_eq!(q("1Pi"), q("1024Ti"));
        assert_eq!(q("1Ei"), q("1024Pi"));
        assert_eq!(q("1Gi").to_string(), "1073741824");
        // 1.1Mi = 1153433.6 bytes exactly
        assert_eq!(q("1.1Mi").to_string(), "1153433.6");
    }

    #[test]
    fn exponents() {
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("1E3"), q("1000"));
        assert_eq!(q("1e+3"), q("1k"));
        assert_eq!(q("5e-1"), q("500m"));
        assert_eq!(q("1.5e2"), q("150"));
        assert_eq!(q("12e6"), q("12M"));
        assert_eq!(q(".5e1"), q("5"));
        assert_eq!(q("1e0"), q("1"));
        // `E` alone is exa, `E` with digits an exponent.
        assert_eq!(q("2E"), q("2e18"));
    }

    #[test]
    fn signs_zeros_and_forms() {
        assert_eq!(n("-1"), -1_000_000_000);
        assert_eq!(n("+1"), 1_000_000_000);
        assert_eq!(n("0"), 0);
        assert_eq!(n("-0"), 0);
        assert_eq!(n("0.0"), 0);
        assert_eq!(n("000"), 0);
        assert_eq!(n("0Gi"), 0);
        assert_eq!(n("007"), 7_000_000_000);
        assert_eq!(n(".5"), 500_000_000);
        assert_eq!(n("5."), 5_000_000_000);
        assert_eq!(n("1.000"), 1_000_000_000);
        assert!(q("-1").is_negative());
        assert!(q("0m").is_zero());
    }

    #[test]
    fn rounding_up_to_nano_and_the_cap() {
        // More precise than a nano: rounded up (away from zero), as Kubernetes does.
        assert_eq!(n("0.1n"), 1);
        assert_eq!(n("1.0000000001"), 1_000_000_001);
        assert_eq!(n("-0.1n"), -1);
        assert_eq!(n("1e-30"), 1);
        assert_eq!(n("1.5n"), 2);
        // Exactly representable: no rounding.
        assert_eq!(n("1.000000001"), 1_000_000_001);
        // Bigger than 2^63-1: capped.
        let cap = i128::from(i64::MAX) * 1_000_000_000;
        assert_eq!(n("9223372036854775807"), cap);
        assert_eq!(n("9223372036854775808"), cap);
        assert_eq!(n("1e100"), cap);
        assert_eq!(n("100Ei"), cap);
        assert_eq!(n("-1e100"), -cap);
        assert_eq!(n("99999999999999999999999999999999999999999999"), cap);
        assert_eq!(n("8Ei"), cap);
        assert!(n("7Ei") < cap);
        assert_eq!(q("7Ei").to_string(), "8070450532247928832");
    }

    #[test]
    fn ordering_across_forms() {
        let mut v: Vec<Quantity> = ["1Gi", "1G", "999Mi", "1e9", "1.5G", "1500M", "2"]
            .iter()
            .map(|s| q(s))
            .collect();
        v.sort();
        let shown: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "2",
                "1000000000",
                "1000000000",
                "1047527424",
                "1073741824",
                "1500000000",
                "1500000000"
            ]
        );
        assert!(q("250m") < q("0.26"));
        assert!(q("1Gi") > q("1G"));
        assert_eq!(q("1G").compare(q("1e9")), Ordering::Equal);
    }

    #[test]
    fn milli_values() {
        assert_eq!(q("1").milli_value(), 1000);
        assert_eq!(q("1.5").milli_value(), 1500);
        assert_eq!(q("0.1m").milli_value(), 1);
        assert_eq!(q("-0.1m").milli_value(), 0);
        assert_eq!(q("250m").milli_value(), 250);
    }

    #[test]
    fn whole_values_round_up() {
        assert_eq!(q("1").value(), 1);
        assert_eq!(q("0.5").value(), 1);
        assert_eq!(q("1n").value(), 1);
        assert_eq!(q("1Ki").value(), 1024);
        assert_eq!(q("0").value(), 0);
        assert_eq!(q("-0.5").value(), 0);
    }

    #[test]
    fn zero_cpu_and_memory_are_unset_for_the_kubelet() {
        for zero in ["0", "0m", "0Gi", "-0", "0.0", "0e9", "+0", "000", "0.000n"] {
            let z = q(zero);
            assert!(kubelet_reads_as_unset("cpu", z), "{zero}");
            assert!(kubelet_reads_as_unset("memory", z), "{zero}");
            assert!(!kubelet_reads_as_unset("ephemeral-storage", z), "{zero}");
        }
        // The API server and the kubelet round up: the smallest values are real limits.
        for tiny in ["0.0001", "1n", "1e-30", "0.1m", "1m", "1u"] {
            let t = q(tiny);
            assert!(!kubelet_reads_as_unset("cpu", t), "{tiny}");
            assert!(!kubelet_reads_as_unset("memory", t), "{tiny}");
            assert!(t.milli_value() >= 1 && t.value() >= 1, "{tiny}");
        }
    }

    #[test]
    fn display_is_the_exact_value() {
        assert_eq!(q("500m").to_string(), "0.5");
        assert_eq!(q("-1.25").to_string(), "-1.25");
        assert_eq!(q("1n").to_string(), "0.000000001");
        assert_eq!(q("0").to_string(), "0");
        assert_eq!("2k".parse::<Quantity>().unwrap().to_string(), "2000");
    }

    #[test]
    fn invalid_quantities_are_errors() {
        for bad in [
            "",
            ".",
            "-",
            "+",
            "Gi",
            "m",
            "1K",
            "1ki",
            "1mi",
            "1e",
            "1E+",
            "1e-",
            "1e3.5",
            "1.5.2",
            " 1",
            "1 ",
            "1 Gi",
            "0x10",
            "1,5",
            "1gi",
            "1Gb",
            "1.Gi.",
            "--1",
            "+-1",
            "1e99999999999",
            "∞",
            "1Gi ",
            "e3",
            "1iB",
            "1b",
            "NaN",
            "1_000",
        ] {
            let e = Quantity::parse(bad).expect_err(bad);
            assert_eq!(e.text, bad);
            assert!(e.to_string().contains("is not a quantity"), "{e}");
        }
        assert!(Quantity::parse(&"1".repeat(MAX_LEN + 1)).is_err());
        assert!(Quantity::parse(&"1".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn many_fraction_digits_and_long_inputs_stay_exact() {
        assert_eq!(n("0.000000000000000000000000000000000001"), 1);
        assert_eq!(n("1.999999999999"), 2_000_000_000);
        assert_eq!(n("123456789.123456789"), 123_456_789_123_456_789);
        assert_eq!(q("0.5Gi"), q("512Mi"));
        assert_eq!(q("0.1Ki").to_string(), "102.4");
        assert_eq!(q("0.001Ki").to_string(), "1.024");
    }
}
