//! Enums written as a plain name (`profile = "libtorrent"`): parsed with the allowed names in
//! every message, whatever the mistake (an unknown name, a number, a list, a table).
//!
//! serde's derived parser of such an enum reports a number given instead of a name as
//! `expected string only, found unit variant` (the TOML deserializer's words) without the
//! allowed names; [`names_enum!`] implements `Deserialize` with a visitor that lists them.
//!
//! Invariant: the names accepted are exactly the names the enum serializes to (a test in
//! each enum's module round-trips every variant).

use serde::de::{Error, Visitor};
use std::fmt;

/// Visits a name among `names` (pairs of name and value).
#[derive(Debug)]
pub struct NameVisitor<T: 'static>(pub &'static [(&'static str, T)]);

fn listed<T>(names: &[(&str, T)]) -> String {
    names
        .iter()
        .map(|(n, _)| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'de, T: Copy> Visitor<'de> for NameVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "one of {}", listed(self.0))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
        self.0
            .iter()
            .find(|(n, _)| *n == v)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let shown: String = v.chars().take(40).collect();
                E::custom(format!(
                    "unknown value \"{shown}\"; allowed: {}",
                    listed(self.0)
                ))
            })
    }
}

/// Implements `Deserialize` for a plain-name enum from its names:
/// `names_enum!(ClientProfile { "bep3" => Bep3, "libtorrent" => Libtorrent })`.
#[macro_export]
macro_rules! names_enum {
    ($name:ident { $($text:literal => $variant:ident),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const NAMES: &[(&str, $name)] = &[$(($text, $name::$variant)),*];
                d.deserialize_str($crate::config::names::NameVisitor(NAMES))
            }
        }
    };
}

pub use names_enum;

#[cfg(test)]
mod tests {
    use crate::config::{
        Clearing, ClientProfile, FeeSink, OptimisticRule, PickerKind, ScarcityMeasure, SeedRanking,
    };
    use serde::{Deserialize, Serialize};

    /// Every variant parses back from the name it serializes to.
    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
        all: &[T],
    ) {
        for v in all {
            let value = toml::Value::try_from(v).expect("serializes");
            assert!(value.is_str(), "{v:?} is written as a name");
            let back = T::deserialize(value).expect("parses back");
            assert_eq!(&back, v);
        }
    }

    #[test]
    fn names_round_trip() {
        use ClientProfile::*;
        round_trip(&[Bep3, Libtorrent, Transmission]);
        round_trip(&[
            OptimisticRule::WeightedRandom,
            OptimisticRule::LongestWaiting,
        ]);
        round_trip(&[SeedRanking::UploadRate, SeedRanking::RoundRobin]);
        round_trip(&[
            PickerKind::RarestFirst,
            PickerKind::Random,
            PickerKind::Sequential,
        ]);
        round_trip(&[Clearing::FirstPrice, Clearing::SecondPrice]);
        round_trip(&[FeeSink::Burn, FeeSink::Treasury]);
        round_trip(&[ScarcityMeasure::SeedRatio, ScarcityMeasure::PieceRarity]);
    }

    #[test]
    fn wrong_shapes_list_the_names() {
        for wrong in [
            toml::Value::Integer(3),
            toml::Value::Array(vec![]),
            toml::Value::Table(Default::default()),
        ] {
            let e = ClientProfile::deserialize(wrong).unwrap_err().to_string();
            assert!(
                e.contains("\"bep3\", \"libtorrent\", \"transmission\""),
                "{e}"
            );
        }
        let e = ClientProfile::deserialize(toml::Value::String("utorrent".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown value \"utorrent\"") && e.contains("\"bep3\""),
            "{e}"
        );
    }
}
