//! Reading a scenario file: TOML syntax, `--set` overrides, strict deserialisation with the
//! path of the offending field, trace files, defaults and validation.
//!
//! Invariant: a scenario that loads is resolved and valid; nothing is written while loading.

use crate::error::{InputError, humane};
use sim_core::config::tagged::split_nested;
use sim_core::config::{ArrivalConfig, Scenario};
use sim_core::units::Duration;
use std::path::Path;

/// One `--set path=value` override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: toml::Value,
}

impl Override {
    /// Parses `dotted.path=value`; the value is TOML (`3`, `0.5`, `"1 MiB"`, `true`, `[1, 2]`)
    /// or, if it does not parse as TOML, a bare string (`--set client.choker.profile=libtorrent`).
    pub fn parse(text: &str) -> Result<Override, String> {
        let Some((path, raw)) = text.split_once('=') else {
            return Err(format!("--set {text}: expected dotted.path=value"));
        };
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("--set {text}: the path is empty"));
        }
        let raw = raw.trim();
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.to_string()));
        Ok(Override {
            path: path.to_string(),
            value,
        })
    }
}

/// One step of a dotted path: a key, optionally followed by `[index]`s.
fn path_steps(path: &str) -> Result<Vec<(String, Vec<usize>)>, String> {
    path.split('.')
        .map(|part| {
            let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if key.is_empty() {
                return Err(format!("`{path}` has an empty key"));
            }
            let mut idx = Vec::new();
            for chunk in rest.split('[').filter(|c| !c.is_empty()) {
                let n = chunk.strip_suffix(']').and_then(|n| n.parse().ok());
                idx.push(
                    n.ok_or_else(|| format!("`{path}`: `[{chunk}` is not an index like [0]"))?,
                );
            }
            Ok((key.to_string(), idx))
        })
        .collect()
}

/// Sets `path` (like `torrents[0].arrivals.count`) in `root`, creating missing tables.
pub fn apply_override(root: &mut toml::Table, o: &Override) -> Result<(), String> {
    let steps = path_steps(&o.path)?;
    let mut table = root;
    for (n, (key, indices)) in steps.iter().enumerate() {
        let last = n + 1 == steps.len();
        if last && indices.is_empty() {
            table.insert(key.clone(), o.value.clone());
            return Ok(());
        }
        let mut value = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        for (k, &i) in indices.iter().enumerate() {
            let len = value.as_array().map(|a| a.len());
            let array = value.as_array_mut().ok_or_else(|| {
                format!(
                    "`{}`: `{key}` is not a list, so it cannot be indexed",
                    o.path
                )
            })?;
            let Some(item) = array.get_mut(i) else {
                return Err(format!(
                    "`{}`: index {i} is out of range ({} entries)",
                    o.path,
                    len.unwrap_or(0)
                ));
            };
            if last && k + 1 == indices.len() {
                *item = o.value.clone();
                return Ok(());
            }
            value = item;
        }
        table = value
            .as_table_mut()
            .ok_or_else(|| format!("`{}`: `{key}` is not a table", o.path))?;
    }
    Ok(())
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// `text` without a leading UTF-8 byte-order mark (which some editors write).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses TOML `text` into a table; a syntax error names its line and column.
pub fn parse_toml(text: &str, path: &Path) -> Result<toml::Table, InputError> {
    text.parse().map_err(|e: toml::de::Error| {
        let at = e.span().map(|s| line_col(text, s.start));
        let message = e.message().trim().replace('\n', " ");
        match at {
            Some((l, c)) => InputError::new(
                path,
                format!("TOML syntax error at line {l}, column {c}: {message}"),
            ),
            None => InputError::new(path, format!("TOML syntax error: {message}")),
        }
    })
}

/// Deserializes `value` strictly into `T`; an error names the full dotted field (inside
/// `kind`-tagged tables too) and says what is wrong in the user's terms.
pub fn deserialize_strict<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    path: &Path,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut field = e.path().to_string();
        let inner = e.inner().message().to_string();
        let (nested, message) = split_nested(&inner);
        if let Some(nested) = nested {
            if field.is_empty() || field == "." {
                field = nested.to_string();
            } else {
                field = format!("{field}.{nested}");
            }
        }
        let message = humane(message);
        if field.is_empty() || field == "." {
            InputError::new(path, message)
        } else {
            InputError::new(path, format!("field `{field}`: {message}"))
        }
    })
}

/// Reads, overrides, parses, resolves and validates the scenario in `path`.
pub fn load_scenario(path: &Path, overrides: &[Override]) -> Result<Scenario, InputError> {
    let text = read_text(path, "scenario file")?;
    scenario_from_str(&text, path, overrides)
}

/// Reads a text file whole (at most 16 MiB: input files are small, and `/dev/zero` or a
/// stray binary must not be read into memory); a leading byte-order mark is dropped.
pub fn read_text(path: &Path, what: &str) -> Result<String, InputError> {
    use std::io::Read;
    const MAX_BYTES: u64 = 16 << 20;
    let file = std::fs::File::open(path)
        .map_err(|e| InputError::new(path, format!("cannot read the {what}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::new(path, format!("cannot read the {what}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(InputError::new(
            path,
            format!("the {what} is larger than 16 MiB; is it the right file?"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            path,
            format!(
                "the {what} is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok(strip_bom(&text).to_string())
}

/// Like [`load_scenario`] for text already read; `path` names it in errors and anchors
/// relative trace paths.
pub fn scenario_from_str(
    text: &str,
    path: &Path,
    overrides: &[Override],
) -> Result<Scenario, InputError> {
    let text = strip_bom(text);
    let mut table = parse_toml(text, path)?;
    for o in overrides {
        apply_override(&mut table, o).map_err(|m| InputError::new(path, format!("--set {m}")))?;
    }
    let mut scenario: Scenario = deserialize_strict(toml::Value::Table(table), path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    for (i, t) in scenario.torrents.iter_mut().enumerate() {
        if let ArrivalConfig::Trace { file, times } = &mut t.arrivals {
            let trace = base.join(&*file);
            *times = read_trace(&trace, &format!("torrents[{i}].arrivals.file"))?;
        }
    }
    scenario.resolve();
    scenario
        .validate()
        .map_err(|e| InputError::new(path, e.to_string()))?;
    Ok(scenario)
}

/// Most rows of a trace file (each is a join, see `sim_core::config` `MAX_ARRIVALS`).
pub const MAX_TRACE_ROWS: usize = 10_000_000;
/// Longest row of a trace file, in bytes.
const MAX_TRACE_ROW_BYTES: usize = 256;

/// Reads join times (seconds, one per row, optional `time_s` header). Times must be finite,
/// non-negative and sorted. The file is read row by row: at most [`MAX_TRACE_ROWS`] rows of
/// at most 256 bytes, so a wrong file (`/dev/zero`) is refused without being read whole.
pub fn read_trace(path: &Path, field: &str) -> Result<Vec<Duration>, InputError> {
    use std::io::BufRead;
    let cannot = |e: std::io::Error| {
        InputError::new(path, format!("cannot read the trace of `{field}`: {e}"))
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut reader = std::io::BufReader::new(file);
    let mut times: Vec<Duration> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut row = 0usize;
    loop {
        line.clear();
        let n = std::io::Read::take(&mut reader, MAX_TRACE_ROW_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(cannot)?;
        if n == 0 {
            break;
        }
        row += 1;
        if line.len() > MAX_TRACE_ROW_BYTES && !line.ends_with(b"\n") {
            return Err(InputError::new(
                path,
                format!(
                    "row {row} is longer than {MAX_TRACE_ROW_BYTES} bytes; a trace has one join time in seconds per row"
                ),
            ));
        }
        if row > MAX_TRACE_ROWS + 1 {
            return Err(InputError::new(
                path,
                format!("more than {MAX_TRACE_ROWS} rows; a trace holds at most that many joins"),
            ));
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            return Err(InputError::new(
                path,
                format!("row {row} is not UTF-8 text"),
            ));
        };
        let text = if row == 1 { strip_bom(text) } else { text };
        let cell = text.trim();
        if cell.is_empty() || (row == 1 && cell == "time_s") {
            continue;
        }
        if cell.contains([',', ';', '\t']) {
            return Err(InputError::new(
                path,
                format!(
                    "row {row}: `{cell}` has more than one cell; a trace has one column, the join time in seconds (with a decimal point: 1.5, not 1,5)"
                ),
            ));
        }
        let secs: f64 = cell.parse().map_err(|_| {
            InputError::new(
                path,
                format!("row {row}: `{cell}` is not a time in seconds (a number such as 12.5)"),
            )
        })?;
        if !secs.is_finite() || secs < 0.0 {
            return Err(InputError::new(
                path,
                format!("row {row}: join time {cell} must be a non-negative number of seconds"),
            ));
        }
        let t = Duration(sim_core::time::SimDuration::from_secs_f64(secs));
        if let Some(prev) = times.last().filter(|p| **p > t) {
            return Err(InputError::new(
                path,
                format!(
                    "row {row}: join time {cell} s comes before the previous one ({prev}); times must be sorted"
                ),
            ));
        }
        times.push(t);
    }
    if times.is_empty() {
        return Err(InputError::new(
            path,
            format!("the trace of `{field}` has no join times"),
        ));
    }
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_values_and_paths() {
        let o = Override::parse("torrents[0].arrivals.count=200").unwrap();
        assert_eq!(o.value, toml::Value::Integer(200));
        assert_eq!(
            Override::parse("client.choker.profile=libtorrent")
                .unwrap()
                .value,
            toml::Value::String("libtorrent".into())
        );
        assert_eq!(
            Override::parse("horizon=\"2h\"").unwrap().value,
            toml::Value::String("2h".into())
        );
        assert!(Override::parse("novalue").is_err());
    }

    #[test]
    fn overrides_reach_nested_tables_and_lists() {
        let mut t: toml::Table = "[[torrents]]\nname = \"a\"\n[torrents.arrivals]\ncount = 1\n"
            .parse()
            .unwrap();
        apply_override(
            &mut t,
            &Override::parse("torrents[0].arrivals.count=7").unwrap(),
        )
        .unwrap();
        apply_override(
            &mut t,
            &Override::parse("client.choker.regular_slots=5").unwrap(),
        )
        .unwrap();
        assert_eq!(t["torrents"][0]["arrivals"]["count"].as_integer(), Some(7));
        assert_eq!(t["client"]["choker"]["regular_slots"].as_integer(), Some(5));
        let e = apply_override(&mut t, &Override::parse("torrents[3].name=\"x\"").unwrap())
            .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }
}
