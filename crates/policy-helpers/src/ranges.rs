//! Inclusive numeric ranges in settings (`{min, max}`): host ports, user and group ids.

use crate::prelude::*;
crate::view! {
    /// An inclusive range `min..=max`.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Range [deny_unknown_fields] {
        /// Lowest value in the range.
        pub min: i64 = "min" required,
        /// Highest value in the range.
        pub max: i64 = "max" required,
    }
}

impl Range {
    /// Whether `v` is in the range.
    pub fn contains(&self, v: i64) -> bool {
        self.min <= v && v <= self.max
    }

    /// Checks `min <= max` and that both lie in `lo..=hi`.
    ///
    /// # Errors
    /// A message naming the entry, e.g. `allowedHostPorts[0]: min 9000 is greater than max 80`.
    pub fn check(&self, key: &str, lo: i64, hi: i64) -> Result<(), String> {
        for (name, v) in [("min", self.min), ("max", self.max)] {
            if v < lo || v > hi {
                return Err(format!("{key}.{name}: {v} is outside {lo}..{hi}"));
            }
        }
        if self.min > self.max {
            return Err(format!(
                "{key}: min {} is greater than max {}",
                self.min, self.max
            ));
        }
        Ok(())
    }

    /// `min-max`, or the single value.
    pub fn show(&self) -> String {
        if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}-{}", self.min, self.max)
        }
    }
}

/// Checks every range of a list (see [`Range::check`]).
///
/// # Errors
/// The first problem, naming `key[i]`.
pub fn check_all(key: &str, ranges: &[Range], lo: i64, hi: i64) -> Result<(), String> {
    ranges
        .iter()
        .enumerate()
        .try_for_each(|(i, r)| r.check(&format!("{key}[{i}]"), lo, hi))
}

/// Whether any range contains `v`.
pub fn any_contains(ranges: &[Range], v: i64) -> bool {
    ranges.iter().any(|r| r.contains(v))
}

/// The ranges for a message: `80, 8000-8999`.
pub fn show_all(ranges: &[Range]) -> String {
    ranges
        .iter()
        .map(Range::show)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_matches() {
        let r = [
            Range { min: 80, max: 80 },
            Range {
                min: 8000,
                max: 8999,
            },
        ];
        assert!(check_all("p", &r, 1, 65535).is_ok());
        assert!(any_contains(&r, 8500) && !any_contains(&r, 81));
        assert_eq!(show_all(&r), "80, 8000-8999");
        let bad = [Range { min: 9, max: 1 }];
        assert_eq!(
            check_all("p", &bad, 1, 65535).unwrap_err(),
            "p[0]: min 9 is greater than max 1"
        );
        let bad = [Range { min: 0, max: 1 }];
        assert_eq!(
            check_all("p", &bad, 1, 65535).unwrap_err(),
            "p[0].min: 0 is outside 1..65535"
        );
    }
}
