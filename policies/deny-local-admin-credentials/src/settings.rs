//! Settings: the local-admin identities, audit or deny, the break-glass window, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// What happens to a request made with a local admin credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Accept, with a warning naming the credential (the audit log records the request).
    #[default]
    Audit,
    /// Reject.
    Deny,
}

policy_helpers::decode_by_serde!(Mode);

policy_helpers::view! {
    /// Settings of `deny-local-admin-credentials`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// User names of local admin credentials (exact or glob).
        pub denied_users: Vec<String> = "deniedUsers",
        /// Groups of local admin credentials (exact or glob).
        pub denied_groups: Vec<String> = "deniedGroups",
        /// `audit` (default) or `deny`.
        pub mode: Mode = "mode",
        /// RFC 3339 time until which `deny` acts as `audit` (a break-glass window).
        pub break_glass_until: Option<String> = "breakGlassUntil",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_users: vec!["masterclient".to_string()],
            denied_groups: vec!["system:masters".to_string()],
            mode: Mode::Audit,
            break_glass_until: None,
            exemptions: Exemptions::default(),
        }
    }
}

/// Compiled settings.
pub struct Compiled {
    /// Denied users.
    pub users: Vec<Glob>,
    /// Denied groups.
    pub groups: Vec<Glob>,
    /// End of the break-glass window, seconds since the epoch.
    pub break_glass_until: Option<i64>,
}

impl Settings {
    /// Compiles the settings.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn compile(&self) -> Result<Compiled, String> {
        let until = match &self.break_glass_until {
            None => None,
            Some(t) => Some(parse_rfc3339(t).ok_or_else(|| {
                format!(
                    "breakGlassUntil: {t:?} is not an RFC 3339 time such as 2026-12-01T18:00:00Z"
                )
            })?),
        };
        Ok(Compiled {
            users: compile_list("deniedUsers", &self.denied_users)?,
            groups: compile_list("deniedGroups", &self.denied_groups)?,
            break_glass_until: until,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_users.is_empty() && self.denied_groups.is_empty() {
            return Err(
                "deniedUsers and deniedGroups are both empty: the policy would check nothing"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to seconds since the epoch.
pub fn parse_rfc3339(t: &str) -> Option<i64> {
    let t = t.trim();
    if t.len() < 20 || !t.is_ascii() {
        return None;
    }
    let b = t.as_bytes();
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(&t[0..4])?, num(&t[5..7])?, num(&t[8..10])?);
    let (h, mi, s) = (num(&t[11..13])?, num(&t[14..16])?, num(&t[17..19])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let o = num(&rest[1..3])? * 3600 + num(&rest[4..6])? * 60;
            if rest.starts_with('-') { -o } else { o }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-23T00:00:00Z"), Some(1_795_392_000));
        assert_eq!(
            parse_rfc3339("2026-11-23T02:00:00.5+02:00"),
            Some(1_795_392_000)
        );
        assert_eq!(parse_rfc3339("2026-11-23"), None);
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-23T00:00:00"), None);
    }
}
