//! Errors of the command line: a user's mistake (exit code 2) or a failure to write results,
//! and the wording of both: one line, in the user's terms, values shortened.

use std::path::{Path, PathBuf};

/// Something in the user's input is wrong; the message names the file, the field and what
/// is allowed. The command exits with code 2.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", file.display(), one_line(message))]
pub struct InputError {
    pub file: PathBuf,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// An I/O failure with the path and what was being done: `cannot write out/x/summary.json:
/// Read-only file system (os error 30)`.
pub fn io_error(what: &str, path: &Path, e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot {what} {}: {e}", path.display())
}

/// Longest message printed; longer ones are cut in the middle of their longest quoted value.
const MAX_MESSAGE_CHARS: usize = 400;
/// Longest quoted value (`"…"`) echoed whole.
const MAX_VALUE_CHARS: usize = 40;
/// Longest back-quoted name (a field path, `` `…` ``) echoed whole.
const MAX_NAME_CHARS: usize = 120;

/// `message` on one line: line breaks become spaces, quoted values longer than 40 characters
/// and back-quoted names longer than 120 are cut (`"xxxx…"`), and the whole is at most 400
/// characters.
pub fn one_line(message: &str) -> String {
    let flat: String = message
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(flat.len().min(MAX_MESSAGE_CHARS + 8));
    let mut rest = flat.as_str();
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                let max = if quote == '`' {
                    MAX_NAME_CHARS
                } else {
                    MAX_VALUE_CHARS
                };
                out.push_str(&cut(&after[..end], max));
                out.push(quote);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&cut(after, MAX_VALUE_CHARS));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    cut(&out, MAX_MESSAGE_CHARS)
}

/// At most `max` characters of `s`, with `…` if cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// A serde message in the user's terms: `invalid type: string "x", expected u32` becomes
/// `expected a whole number ≥ 0, found the text "x"`; `unknown field `x`, expected one of
/// `a`, `b`` becomes `unknown field `x`; allowed: `a`, `b``. Messages it does not know pass
/// through unchanged.
pub fn humane(message: &str) -> String {
    let m = message.trim();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = m.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return format!(
                "expected {}, found {}",
                expected_words(expected),
                found_words(found)
            );
        }
    }
    if let Some(rest) = m.strip_prefix("unknown field ") {
        if let Some((field, allowed)) = rest.split_once(", expected one of ") {
            return format!("unknown field {field}; allowed: {allowed}");
        }
        if let Some((field, allowed)) = rest.split_once(", expected ") {
            return format!("unknown field {field}; allowed: {allowed}");
        }
        if let Some((field, _)) = rest.split_once(", there are no fields") {
            return format!("unknown field {field}; this table takes no fields");
        }
    }
    if let Some(rest) = m.strip_prefix("unknown variant ") {
        if let Some((v, allowed)) = rest.split_once(", expected one of ") {
            return format!("unknown value {v}; allowed: {allowed}");
        }
        if let Some((v, allowed)) = rest.split_once(", expected ") {
            return format!("unknown value {v}; allowed: {allowed}");
        }
    }
    if let Some(rest) = m.strip_prefix("missing field ") {
        return format!("missing required field {rest}");
    }
    if let Some(rest) = m.strip_prefix("invalid length ")
        && let Some((n, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {}, found {n} entries", expected_words(expected));
    }
    m.to_string()
}

/// serde's `expected …` (a Rust type or a visitor's words) in the user's terms.
fn expected_words(e: &str) -> String {
    let e = e.trim();
    let unsigned = |bits: &str| match bits {
        "u8" => Some(u64::from(u8::MAX)),
        "u16" => Some(u64::from(u16::MAX)),
        "u32" => Some(u64::from(u32::MAX)),
        "u64" | "usize" => Some(u64::MAX),
        _ => None,
    };
    if let Some(max) = unsigned(e) {
        return format!("a whole number from 0 to {max}");
    }
    match e {
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a string" | "string" | "a borrowed string" => "text in quotes".into(),
        "a sequence" => "a list like [1, 2]".into(),
        "a map" => "a table".into(),
        "option" => "a value".into(),
        "unit variant" | "variant identifier" => "one of the names listed in the reference".into(),
        other if other.starts_with("struct ") => "a table".into(),
        other if other.starts_with("enum ") => "one of the names listed in the reference".into(),
        other if other.starts_with("tuple") => "a list".into(),
        other => other.to_string(),
    }
}

/// serde's `Unexpected` value (`string "x"`, `integer `5``, `map`) in the user's terms.
fn found_words(f: &str) -> String {
    let f = f.trim();
    let between = |s: &str, q: char| {
        s.split_once(q)
            .and_then(|(_, r)| r.rsplit_once(q))
            .map(|(v, _)| v.to_string())
    };
    if let Some(rest) = f.strip_prefix("string ") {
        return format!("the text \"{}\"", between(rest, '"').unwrap_or_default());
    }
    for kind in ["integer ", "floating point ", "unsigned integer "] {
        if let Some(rest) = f.strip_prefix(kind) {
            return format!(
                "the number {}",
                between(rest, '`').unwrap_or_else(|| rest.to_string())
            );
        }
    }
    if let Some(rest) = f.strip_prefix("boolean ") {
        return between(rest, '`').unwrap_or_else(|| rest.to_string());
    }
    match f {
        "map" => "a table".into(),
        "sequence" => "a list".into(),
        "unit" | "unit variant" => "an empty value".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_in_the_users_terms() {
        let cases = [
            (
                "invalid type: string \"x\", expected u32",
                "expected a whole number from 0 to 4294967295, found the text \"x\"",
            ),
            (
                "invalid type: floating point `1.5`, expected u32",
                "expected a whole number from 0 to 4294967295, found the number 1.5",
            ),
            (
                "invalid value: integer `-1`, expected u64",
                "expected a whole number from 0 to 18446744073709551615, found the number -1",
            ),
            (
                "invalid type: map, expected f64",
                "expected a number, found a table",
            ),
            (
                "invalid type: integer `3`, expected struct TorrentConfig",
                "expected a table, found the number 3",
            ),
            (
                "invalid type: sequence, expected a string",
                "expected text in quotes, found a list",
            ),
            (
                "unknown field `peice`, expected one of `name`, `size`",
                "unknown field `peice`; allowed: `name`, `size`",
            ),
            ("missing field `size`", "missing required field `size`"),
            (
                "unknown variant `cube`, expected one of `grid`, `zip`",
                "unknown value `cube`; allowed: `grid`, `zip`",
            ),
            ("has no valid unit", "has no valid unit"),
        ];
        for (serde, ours) in cases {
            assert_eq!(humane(serde), ours, "{serde}");
        }
    }

    #[test]
    fn one_line_cuts_long_values_and_line_breaks() {
        let long = "x".repeat(10_000);
        let m = one_line(&format!(
            "field `a`: \"{long}\" is not a size\nsee the docs"
        ));
        assert!(m.chars().count() < 120, "{m}");
        assert!(
            m.contains("\"xxxx") && m.contains("…\" is not a size see the docs"),
            "{m}"
        );
        assert_eq!(one_line("plain"), "plain");
        let m = one_line(&"y".repeat(5_000));
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
