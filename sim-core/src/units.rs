//! Human units in scenario files: sizes (`"256 KiB"`), rates (`"1 Mbit/s"`) and durations
//! (`"30min"`, `"1h30min"`). Each parses into an integer base unit — bytes, bytes per second,
//! microseconds — and prints back in a form that parses to the same value.
//!
//! Invariant: `parse(print(x)) == x` for every value.

use crate::time::{MICROS_PER_SECOND, SimDuration};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A size in bytes. Parses `"256 KiB"`, `"1.5 GB"`, `"50 Mbit"`, `"1000 B"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

/// A rate in bytes per second. Parses `"1 Mbit/s"`, `"500 kbit/s"`, `"2 MiB/s"`, `"100 B/s"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BytesPerSec(pub u64);

/// A duration. Parses `"250ms"`, `"10s"`, `"30min"`, `"1h30min"`, `"2d"`, `"1.5h"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub SimDuration);

/// Size units and their value in bits (so that bit and byte units share one table).
const SIZE_UNITS: &[(&str, u128)] = &[
    ("B", 8),
    ("KB", 8_000),
    ("KiB", 8 * 1024),
    ("MB", 8_000_000),
    ("MiB", 8 * 1024 * 1024),
    ("GB", 8_000_000_000),
    ("GiB", 8 * 1024 * 1024 * 1024),
    ("TB", 8_000_000_000_000),
    ("TiB", 8 * 1024 * 1024 * 1024 * 1024),
    ("bit", 1),
    ("kbit", 1_000),
    ("Mbit", 1_000_000),
    ("Gbit", 1_000_000_000),
];

/// Allowed size units, for error messages.
pub const SIZE_UNITS_HELP: &str = "B, KB, KiB, MB, MiB, GB, GiB, TB, TiB, bit, kbit, Mbit, Gbit";

/// Duration units in microseconds, longest names first so that `min` wins over `m`.
const DURATION_UNITS: &[(&str, u128)] = &[
    ("min", 60 * MICROS_PER_SECOND as u128),
    ("ms", 1_000),
    ("us", 1),
    ("d", 86_400 * MICROS_PER_SECOND as u128),
    ("h", 3_600 * MICROS_PER_SECOND as u128),
    ("s", MICROS_PER_SECOND as u128),
];

/// Allowed duration units, for error messages.
pub const DURATION_UNITS_HELP: &str = "us, ms, s, min, h, d (e.g. \"30min\", \"1h30min\")";

/// Splits `"1.5 MiB"` into a non-negative number and a unit.
fn split_number(text: &str) -> Result<(f64, &str), String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("\"{text}\" is negative"));
    }
    let mut end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    // An exponent (`1.5e3`) belongs to the number when digits follow it.
    if end > 0 && t[end..].starts_with(['e', 'E']) {
        let exp = &t[end + 1..];
        let sign = usize::from(exp.starts_with(['+', '-']));
        let digits = exp[sign..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(exp.len() - sign);
        if digits > 0 {
            end += 1 + sign + digits;
        }
    }
    let (num, unit) = t.split_at(end);
    let num: String = num.chars().filter(|&c| c != '_').collect();
    let value: f64 = num
        .parse()
        .map_err(|_| format!("\"{text}\" does not start with a number"))?;
    if !value.is_finite() {
        return Err(format!("\"{text}\" is not a finite number"));
    }
    Ok((value, unit.trim()))
}

fn parse_bits(text: &str, what: &str) -> Result<u128, String> {
    let (value, unit) = split_number(text)?;
    let Some(&(_, bits)) = SIZE_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!(
            "\"{text}\" has no valid {what} unit; allowed units: {SIZE_UNITS_HELP}"
        ));
    };
    Ok((value * bits as f64).round() as u128)
}

impl Bytes {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bits = parse_bits(text, "size")?;
        let bytes = bits.div_ceil(8);
        u64::try_from(bytes)
            .map(Bytes)
            .map_err(|_| format!("\"{text}\" is too large"))
    }
}

impl BytesPerSec {
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(size) = text.trim().strip_suffix("/s") else {
            return Err(format!(
                "\"{text}\" is not a rate; write a size per second such as \"1 Mbit/s\" or \"2 MiB/s\" (size units: {SIZE_UNITS_HELP})"
            ));
        };
        let bits = parse_bits(size, "rate").map_err(|e| {
            if e.contains("has no valid") {
                format!(
                    "\"{text}\" has no valid rate unit; allowed units: a size unit followed by /s ({SIZE_UNITS_HELP}), e.g. \"1 Mbit/s\""
                )
            } else {
                e.replace(&format!("\"{size}\""), &format!("\"{text}\""))
            }
        })?;
        u64::try_from(bits.div_ceil(8))
            .map(BytesPerSec)
            .map_err(|_| format!("\"{text}\" is too large"))
    }

    /// Megabits per second, for reports.
    pub fn as_mbit_per_s(self) -> f64 {
        self.0 as f64 * 8.0 / 1e6
    }
}

impl Duration {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(format!(
                "\"{text}\" is empty; allowed units: {DURATION_UNITS_HELP}"
            ));
        }
        let mut total: u128 = 0;
        while !rest.is_empty() {
            let (value, after) = split_number(rest)
                .map_err(|e| format!("{e}; allowed units: {DURATION_UNITS_HELP}"))?;
            let after = after.trim_start();
            let Some(&(unit, micros)) = DURATION_UNITS.iter().find(|(u, _)| {
                after.starts_with(u)
                    && !after[u.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            }) else {
                return Err(format!(
                    "\"{text}\" has no valid duration unit; allowed units: {DURATION_UNITS_HELP}"
                ));
            };
            let term = (value * micros as f64).round();
            if term > u64::MAX as f64 {
                return Err(format!("\"{text}\" is too long"));
            }
            total = total
                .checked_add(term as u128)
                .ok_or_else(|| format!("\"{text}\" is too long"))?;
            rest = after[unit.len()..].trim_start();
        }
        u64::try_from(total)
            .map(|us| Duration(SimDuration(us)))
            .map_err(|_| format!("\"{text}\" is too long"))
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }

    pub fn from_secs(s: u64) -> Self {
        Duration(SimDuration::from_secs(s))
    }
}

/// Writes `value` with the largest unit of `units` that divides it exactly.
fn exact_unit(value: u128, units: &[(&'static str, u128)]) -> Option<(u128, &'static str)> {
    units
        .iter()
        .filter(|(_, f)| value.is_multiple_of(*f))
        .max_by_key(|(_, f)| *f)
        .map(|(u, f)| (value / f, *u))
}

const BINARY_SIZE_UNITS: &[(&str, u128)] = &[
    ("B", 1),
    ("KiB", 1024),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];
const DECIMAL_RATE_UNITS: &[(&str, u128)] = &[
    ("bit", 1),
    ("kbit", 1_000),
    ("Mbit", 1_000_000),
    ("Gbit", 1_000_000_000),
];

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, u) = exact_unit(self.0 as u128, BINARY_SIZE_UNITS).unwrap_or((self.0 as u128, "B"));
        write!(f, "{n} {u}")
    }
}

impl fmt::Display for BytesPerSec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.0 as u128 * 8;
        // Prefer network units (Mbit/s) when they are exact, else binary byte units.
        match exact_unit(bits, DECIMAL_RATE_UNITS) {
            Some((n, u)) if u != "bit" => write!(f, "{n} {u}/s"),
            _ => write!(f, "{}/s", Bytes(self.0)),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_micros() as u128;
        if us == 0 {
            return write!(f, "0s");
        }
        let (n, u) = exact_unit(us, DURATION_UNITS).unwrap_or((us, "us"));
        write!(f, "{n}{u}")
    }
}

macro_rules! serde_via_text {
    ($ty:ty, $expect:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        <$ty>::parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(Visitor)
            }
        }
    };
}

serde_via_text!(
    Bytes,
    "a size with a unit, such as \"256 KiB\" or \"1.5 GB\""
);
serde_via_text!(
    BytesPerSec,
    "a rate with a unit, such as \"1 Mbit/s\" or \"2 MiB/s\""
);
serde_via_text!(
    Duration,
    "a duration with a unit, such as \"30s\", \"10min\" or \"1h30min\""
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_to_bytes() {
        assert_eq!(Bytes::parse("256 KiB"), Ok(Bytes(262_144)));
        assert_eq!(Bytes::parse("1.5 GB"), Ok(Bytes(1_500_000_000)));
        assert_eq!(Bytes::parse("50 Mbit"), Ok(Bytes(6_250_000)));
        assert_eq!(Bytes::parse("100MB"), Ok(Bytes(100_000_000)));
        assert_eq!(Bytes::parse("0 B"), Ok(Bytes(0)));
    }

    #[test]
    fn rates_parse_to_bytes_per_second() {
        assert_eq!(BytesPerSec::parse("1 Mbit/s"), Ok(BytesPerSec(125_000)));
        assert_eq!(BytesPerSec::parse("500 kbit/s"), Ok(BytesPerSec(62_500)));
        assert_eq!(BytesPerSec::parse("2 MiB/s"), Ok(BytesPerSec(2_097_152)));
    }

    #[test]
    fn durations_parse_to_micros() {
        assert_eq!(
            Duration::parse("30min").unwrap().0,
            SimDuration::from_secs(1800)
        );
        assert_eq!(
            Duration::parse("1h30min").unwrap().0,
            SimDuration::from_secs(5400)
        );
        assert_eq!(
            Duration::parse("250ms").unwrap().0,
            SimDuration::from_millis(250)
        );
        assert_eq!(
            Duration::parse("1.5h").unwrap().0,
            SimDuration::from_secs(5400)
        );
        assert_eq!(
            Duration::parse("2d").unwrap().0,
            SimDuration::from_secs(172_800)
        );
        assert_eq!(
            Duration::parse("10 s").unwrap().0,
            SimDuration::from_secs(10)
        );
    }

    #[test]
    fn bad_units_are_named_in_the_error() {
        let e = Bytes::parse("256 KiBs").unwrap_err();
        assert!(e.contains("KiB") && e.contains("allowed units"), "{e}");
        assert!(
            BytesPerSec::parse("1 Mbit")
                .unwrap_err()
                .contains("not a rate")
        );
        assert!(
            Duration::parse("10 parsecs")
                .unwrap_err()
                .contains("allowed units")
        );
        assert!(Bytes::parse("-5 MiB").unwrap_err().contains("negative"));
        assert!(Duration::parse("").is_err());
        let huge = format!("1{}d 1s", "0".repeat(40));
        assert!(Duration::parse(&huge).unwrap_err().contains("too long"));
        assert!(
            Duration::parse("213503982d 213503982d")
                .unwrap_err()
                .contains("too long")
        );
        assert!(Bytes::parse("KiB").is_err());
        let e = BytesPerSec::parse("1 EiB/s").unwrap_err();
        assert!(e.contains("\"1 EiB/s\"") && e.contains("/s"), "{e}");
    }

    #[test]
    fn numbers_may_have_an_exponent() {
        assert_eq!(Bytes::parse("1.5e3 MiB"), Ok(Bytes(1500 << 20)));
        assert_eq!(Bytes::parse("2E2 B"), Ok(Bytes(200)));
        assert_eq!(Duration::parse("1e3s"), Ok(Duration::from_secs(1000)));
        assert_eq!(Duration::parse("1e-3s").map(|d| d.0.as_micros()), Ok(1000));
        assert!(Bytes::parse("1e400 B").unwrap_err().contains("finite"));
    }

    #[test]
    fn printing_round_trips() {
        for b in [0, 1, 1000, 262_144, 1 << 30, 6_250_000, 123_457] {
            assert_eq!(
                Bytes::parse(&Bytes(b).to_string()),
                Ok(Bytes(b)),
                "{}",
                Bytes(b)
            );
        }
        for r in [1, 125_000, 62_500, 2_097_152, 333] {
            let r = BytesPerSec(r);
            assert_eq!(BytesPerSec::parse(&r.to_string()), Ok(r), "{r}");
        }
        for us in [0, 1, 1500, 10_000_000, 5_400_000_000, 7] {
            let d = Duration(SimDuration(us));
            assert_eq!(Duration::parse(&d.to_string()), Ok(d), "{d}");
        }
        assert_eq!(BytesPerSec(125_000).to_string(), "1 Mbit/s");
        assert_eq!(Bytes(262_144).to_string(), "256 KiB");
        assert_eq!(Duration::parse("1h30min").unwrap().to_string(), "90min");
    }
}
