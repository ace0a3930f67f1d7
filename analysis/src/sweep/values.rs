//! Parameter values: their number in a base unit (for tables and plot axes), their text
//! in tables, and ranges `[low, high]` that random and Latin-hypercube sweeps sample from.
//!
//! Invariant: a sampled value is written in the scenario's own notation (an integer, a
//! float, or a human-unit string such as `"1234s"`), so it loads like a hand-written one.

use sim_core::time::SimDuration;
use sim_core::units::{Bytes, BytesPerSec, Duration};

/// The number a parameter value stands for, in the base unit named by the second field
/// (`""` for plain numbers, `"s"`, `"B"`, `"B/s"`); `None` for other values.
pub fn numeric(value: &toml::Value) -> Option<(f64, &'static str)> {
    match value {
        toml::Value::Integer(i) => Some((*i as f64, "")),
        toml::Value::Float(f) => Some((*f, "")),
        toml::Value::String(s) => {
            if let Ok(d) = Duration::parse(s) {
                Some((d.as_secs_f64(), "s"))
            } else if let Ok(r) = BytesPerSec::parse(s) {
                Some((r.0 as f64, "B/s"))
            } else {
                Bytes::parse(s).ok().map(|b| (b.0 as f64, "B"))
            }
        }
        _ => None,
    }
}

/// A value as a table cell: strings bare, everything else as inline TOML.
pub fn text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A range a parameter is sampled from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    Integer(i64, i64),
    Float(f64, f64),
    /// Microseconds.
    Duration(u64, u64),
    Bytes(u64, u64),
    Rate(u64, u64),
}

impl Range {
    /// Reads `[low, high]`: two integers, two numbers, or two strings of one unit kind.
    pub fn parse(low: &toml::Value, high: &toml::Value) -> Result<Range, String> {
        use toml::Value::{Float, Integer, String as Str};
        let range = match (low, high) {
            (Integer(a), Integer(b)) => Range::Integer(*a, *b),
            (Integer(_) | Float(_), Integer(_) | Float(_)) => {
                let f = |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64));
                Range::Float(f(low).unwrap_or(0.0), f(high).unwrap_or(0.0))
            }
            (Str(a), Str(b)) => {
                if let (Ok(a), Ok(b)) = (Duration::parse(a), Duration::parse(b)) {
                    Range::Duration(a.0.as_micros(), b.0.as_micros())
                } else if let (Ok(a), Ok(b)) = (BytesPerSec::parse(a), BytesPerSec::parse(b)) {
                    Range::Rate(a.0, b.0)
                } else if let (Ok(a), Ok(b)) = (Bytes::parse(a), Bytes::parse(b)) {
                    Range::Bytes(a.0, b.0)
                } else {
                    return Err(format!(
                        "[\"{a}\", \"{b}\"] is not a range; both ends must be durations, sizes or rates of one kind"
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "[{low}, {high}] is not a range; give two numbers or two human-unit strings"
                ));
            }
        };
        if let Range::Float(a, b) = range
            && !(a.is_finite() && b.is_finite())
        {
            return Err(format!("[{low}, {high}]: both ends must be finite numbers"));
        }
        let ordered = match range {
            Range::Integer(a, b) => a <= b,
            Range::Float(a, b) => a <= b,
            Range::Duration(a, b) | Range::Bytes(a, b) | Range::Rate(a, b) => a <= b,
        };
        if !ordered {
            return Err(format!(
                "[{low}, {high}]: the low end must not exceed the high end"
            ));
        }
        Ok(range)
    }

    /// The value at fraction `u` in `[0, 1)` of the range. Integers take the
    /// `floor(u·(high − low + 1))`-th value; durations are rounded to whole seconds (to
    /// milliseconds for ranges under 10 s); sizes and rates to whole bytes.
    pub fn at(self, u: f64) -> toml::Value {
        let lerp = |a: f64, b: f64| a + u * (b - a);
        match self {
            Range::Integer(a, b) => {
                let width = (b as i128 - a as i128 + 1) as f64;
                let k = ((u * width).floor() as i128).min(b as i128 - a as i128);
                toml::Value::Integer((a as i128 + k) as i64)
            }
            Range::Float(a, b) => toml::Value::Float(lerp(a, b)),
            Range::Duration(a, b) => {
                let step = if b - a < 10_000_000 { 1_000 } else { 1_000_000 };
                let us = lerp(a as f64, b as f64);
                let us = ((us / step as f64).round() as u64 * step).clamp(a, b);
                toml::Value::String(Duration(SimDuration(us)).to_string())
            }
            Range::Bytes(a, b) => {
                let v = (lerp(a as f64, b as f64).round() as u64).clamp(a, b);
                toml::Value::String(Bytes(v).to_string())
            }
            Range::Rate(a, b) => {
                let v = (lerp(a as f64, b as f64).round() as u64).clamp(a, b);
                toml::Value::String(BytesPerSec(v).to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> toml::Value {
        toml::Value::String(x.into())
    }

    #[test]
    fn numbers_in_base_units() {
        assert_eq!(numeric(&s("20min")), Some((1200.0, "s")));
        assert_eq!(numeric(&s("1 MiB")), Some((1048576.0, "B")));
        assert_eq!(numeric(&s("8 Mbit/s")), Some((1e6, "B/s")));
        assert_eq!(numeric(&toml::Value::Integer(3)), Some((3.0, "")));
        assert_eq!(numeric(&s("bep3")), None);
        assert_eq!(text(&s("bep3")), "bep3");
        assert_eq!(text(&toml::Value::Float(0.5)), "0.5");
    }

    #[test]
    fn ranges_sample_in_the_scenario_notation() {
        let r = Range::parse(&s("10min"), &s("1h")).unwrap();
        assert_eq!(r.at(0.0), s("10min"));
        assert_eq!(r.at(0.5), s("35min"));
        let i = Range::parse(&toml::Value::Integer(1), &toml::Value::Integer(3)).unwrap();
        let got: Vec<_> = [0.0, 0.34, 0.67, 0.9999]
            .iter()
            .map(|&u| i.at(u).as_integer().unwrap())
            .collect();
        assert_eq!(got, vec![1, 2, 3, 3]);
        let f = Range::parse(&toml::Value::Float(0.5), &toml::Value::Integer(2)).unwrap();
        assert_eq!(f.at(0.5), toml::Value::Float(1.25));
        assert!(Range::parse(&s("1h"), &s("10min")).is_err());
        assert!(Range::parse(&s("1h"), &s("1 MiB")).is_err());
        assert!(Range::parse(&toml::Value::Boolean(true), &s("1h")).is_err());
    }
}
