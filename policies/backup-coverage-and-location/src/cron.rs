//! Validation of Velero schedule expressions: the standard five-field cron format (minute,
//! hour, day of month, month, day of week) with an optional `CRON_TZ=`/`TZ=` prefix, and the
//! descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`
//! and `@every <duration>`, as Velero's cron library accepts them.

use policy_helpers::prelude::*;

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    question: bool,
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        question: false,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        question: false,
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        question: true,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
        question: false,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: DAYS,
        question: true,
    },
];

fn value(f: &Field, s: &str) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = f.names.iter().position(|n| *n == lower) {
        return Ok(i as u32 + f.min);
    }
    let v: u32 = s
        .parse()
        .map_err(|_| format!("{} {s:?} is not a number", f.name))?;
    if v < f.min || v > f.max {
        return Err(format!(
            "{} {v} is out of range {}-{}",
            f.name, f.min, f.max
        ));
    }
    Ok(v)
}

fn field(f: &Field, text: &str) -> Result<(), String> {
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(s) = step {
            match s.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(format!("{} step {s:?} is not a positive number", f.name)),
            }
        }
        if range == "*" || (f.question && range == "?") {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(f, a)?, value(f, b)?);
                if a > b {
                    return Err(format!("{} range {range} runs backwards", f.name));
                }
            }
            None => {
                value(f, range)?;
            }
        }
    }
    Ok(())
}

fn duration(s: &str) -> bool {
    // Go duration: one or more <number><unit>, units h m s ms us µs ns.
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "us", "µs", "ns", "h", "m", "s"]
            .iter()
            .find(|u| rest.starts_with(**u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// Checks a schedule expression.
///
/// # Errors
/// What is wrong with it.
pub fn validate(expr: &str) -> Result<(), String> {
    let mut e = expr.trim();
    if let Some(rest) = e.strip_prefix("CRON_TZ=").or_else(|| e.strip_prefix("TZ=")) {
        e = rest.split_once(' ').map(|(_, r)| r.trim()).unwrap_or("");
    }
    if e.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(d) = e.strip_prefix('@') {
        return match d {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ => match d.strip_prefix("every ") {
                Some(dur) if duration(dur.trim()) => Ok(()),
                Some(dur) => Err(format!(
                    "@every {dur:?} is not a duration such as 24h or 90m"
                )),
                None => Err(format!("@{d} is not a descriptor")),
            },
        };
    }
    let parts: Vec<&str> = e.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "it has {} fields; a schedule has 5 (minute hour day-of-month month day-of-week)",
            parts.len()
        ));
    }
    for (f, text) in FIELDS.iter().zip(parts) {
        field(f, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_schedules() {
        for s in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 1 * * 0",
            "0 0 1 JAN,JUL ?",
            "30 2 * * mon-fri",
            "0 0-23/6 1,15 * *",
            "@daily",
            "@every 24h",
            "@every 1h30m",
            "CRON_TZ=Europe/Berlin 0 3 * * *",
        ] {
            assert_eq!(validate(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn invalid_schedules() {
        for (s, why) in [
            ("", "empty"),
            ("0 3 * *", "has 4 fields"),
            ("61 * * * *", "minute 61 is out of range 0-59"),
            ("0 24 * * *", "hour 24"),
            ("0 0 0 * *", "day of month 0"),
            ("0 0 * 13 *", "month 13"),
            ("0 0 * * 7", "day of week 7"),
            ("0 0 * * fri-mon", "runs backwards"),
            ("*/0 * * * *", "step"),
            ("x * * * *", "is not a number"),
            ("@sometimes", "not a descriptor"),
            ("@every soon", "not a duration"),
            ("? * * * *", "is not a number"),
        ] {
            let e = validate(s).expect_err(s);
            assert!(e.contains(why), "{s}: {e}");
        }
    }
}
