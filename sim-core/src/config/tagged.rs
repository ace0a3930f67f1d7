//! `kind`-tagged tables such as `seeding = { kind = "fixed", time = "1h" }`: strict parsing
//! that names the exact field at fault.
//!
//! serde's internally tagged enums buffer the whole table before they know the variant, so an
//! error inside it carries only the path of the table (`torrents[0].arrivals`, not
//! `torrents[0].arrivals.window`), and a kind without fields accepts any other key. Here the
//! enum is declared once with [`tagged_enum!`]: it serializes as a `kind`-tagged table, and
//! parses by taking `kind` out of the table, then reading the rest as that variant's fields
//! with `deny_unknown_fields` (a field-less kind accepts no other key) and a tracked path.
//!
//! Invariant: an error from inside a tagged table starts with the field's path inside the
//! table between two [`PATH_MARK`]s (`"\u{1f}window\u{1f}…"`); [`split_nested`] takes it off
//! so the loader can append it to the path of the table. Nested tagged tables join their
//! paths (`cost_per_hour.median`).

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// Brackets the path of a field inside a tagged table at the start of an error message.
pub const PATH_MARK: char = '\u{1f}';

/// Splits a message made by [`deserialize_tagged`] into the path inside the tagged table (if
/// any) and the message proper.
pub fn split_nested(message: &str) -> (Option<&str>, &str) {
    let Some(rest) = message.strip_prefix(PATH_MARK) else {
        return (None, message);
    };
    match rest.split_once(PATH_MARK) {
        Some((path, msg)) => (Some(path), msg),
        None => (None, message),
    }
}

fn marked(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_string()
    } else {
        format!("{PATH_MARK}{path}{PATH_MARK}{message}")
    }
}

fn kinds_list(kinds: &[&str]) -> String {
    kinds
        .iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a `kind`-tagged table into `R`, the externally tagged mirror of the enum that
/// [`tagged_enum!`] generates (`{ fixed = { time = "1h" } }`). `what` names the enum in
/// messages ("a seeding time").
pub fn deserialize_tagged<'de, D, R>(d: D, what: &str, kinds: &[&str]) -> Result<R, D::Error>
where
    D: Deserializer<'de>,
    R: DeserializeOwned,
{
    let example = format!(
        "{{ kind = \"{}\", … }}",
        kinds.first().copied().unwrap_or("")
    );
    let value = toml::Value::deserialize(d)?;
    let toml::Value::Table(mut table) = value else {
        return Err(D::Error::custom(format!(
            "{what} is a table like {example}, found {}; kinds: {}",
            describe(&value),
            kinds_list(kinds)
        )));
    };
    let kind = match table.remove("kind") {
        Some(toml::Value::String(k)) => k,
        Some(other) => {
            return Err(D::Error::custom(marked(
                "kind",
                &format!(
                    "expected one of {}, found {}",
                    kinds_list(kinds),
                    describe(&other)
                ),
            )));
        }
        None => {
            return Err(D::Error::custom(format!(
                "{what} needs `kind`, one of {}",
                kinds_list(kinds)
            )));
        }
    };
    if !kinds.contains(&kind.as_str()) {
        return Err(D::Error::custom(marked(
            "kind",
            &format!(
                "unknown kind \"{}\"; known kinds: {}",
                shorten(&kind),
                kinds_list(kinds)
            ),
        )));
    }
    let no_fields = format!(": kind \"{kind}\" takes no other fields");
    let outer = toml::Table::from_iter([(kind, toml::Value::Table(table))]);
    serde_path_to_error::deserialize(toml::Value::Table(outer)).map_err(|e| {
        // The first segment is the variant; the rest is the path inside the table.
        let mut path = String::new();
        for segment in e.path().iter().skip(1) {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    path.push_str(&format!("[{index}]"));
                }
                serde_path_to_error::Segment::Map { key }
                | serde_path_to_error::Segment::Enum { variant: key } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let inner = e.inner().message().to_string();
        let (sub, message) = split_nested(&inner);
        if let Some(sub) = sub {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(sub);
        }
        let message = message.replace(", there are no fields", &no_fields);
        D::Error::custom(marked(&path, &message))
    })
}

/// A value as a user would name it: `the text "x"`, `the number 3`, `a list`.
fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the text \"{}\"", shorten(s)),
        toml::Value::Integer(i) => format!("the number {i}"),
        toml::Value::Float(x) => format!("the number {x}"),
        toml::Value::Boolean(b) => format!("{b}"),
        toml::Value::Datetime(d) => format!("the date {d}"),
        toml::Value::Array(_) => "a list".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

/// At most 40 characters of `s`, with an ellipsis if cut.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

/// `RateQuote` → `rate_quote`, as serde's `rename_all = "snake_case"` does.
pub fn snake_case(variant: &str) -> String {
    let mut out = String::with_capacity(variant.len() + 4);
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Declares a `kind`-tagged enum: the enum itself (serialized as a `kind`-tagged table, with
/// the field attributes given) and its strict parser (see the module doc). Variants are
/// written `Name` (no fields) or `Name { field: Type, … }`, each with optional attributes;
/// the kind of `Name` is its snake_case name.
#[macro_export]
macro_rules! tagged_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $what:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $({
                    $(
                        $(#[$fmeta:meta])*
                        $field:ident : $ty:ty
                    ),* $(,)?
                })?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant $({ $( $(#[$fmeta])* $field: $ty ),* })?
            ),*
        }

        const _: () = {
            /// The externally tagged mirror that [`deserialize_tagged`] reads the fields into.
            #[derive(serde::Deserialize)]
            #[serde(rename_all = "snake_case", deny_unknown_fields)]
            enum Mirror {
                $(
                    $variant { $($( $(#[$fmeta])* $field: $ty ),*)? }
                ),*
            }

            impl From<Mirror> for $name {
                fn from(m: Mirror) -> $name {
                    match m {
                        $( Mirror::$variant { $($($field),*)? } => $name::$variant $({ $($field),* })? ),*
                    }
                }
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let kinds: Vec<String> = [$( stringify!($variant) ),*]
                        .iter()
                        .map(|v| $crate::config::tagged::snake_case(v))
                        .collect();
                    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
                    $crate::config::tagged::deserialize_tagged::<D, Mirror>(d, $what, &kinds)
                        .map($name::from)
                }
            }
        };
    };
}

pub use tagged_enum;
