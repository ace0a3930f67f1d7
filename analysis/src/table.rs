//! CSV tables from serializable rows: nested fields flatten to `parent_child` columns, `None`
//! becomes an empty cell, columns keep the struct's field order.
//!
//! Invariant: the same rows always give the same bytes.

use serde::Serialize;
use serde_json::Value;

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}_{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// Renders `rows` as CSV with a header row. Rows must all have the same shape.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    let mut header: Option<Vec<String>> = None;
    for row in rows {
        let mut cells = Vec::new();
        flatten("", &serde_json::to_value(row)?, &mut cells);
        if header.is_none() {
            let names: Vec<String> = cells.iter().map(|(k, _)| k.clone()).collect();
            out.push_str(&names.iter().map(|n| quote(n)).collect::<Vec<_>>().join(","));
            out.push('\n');
            header = Some(names);
        }
        out.push_str(
            &cells
                .iter()
                .map(|(_, v)| quote(v))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Inner {
        mean: Option<f64>,
        p50: f64,
    }
    #[derive(Serialize)]
    struct Row {
        name: &'static str,
        time: Inner,
    }

    #[test]
    fn flattens_quotes_and_blanks_nulls() {
        let rows = [Row {
            name: "a,b",
            time: Inner {
                mean: None,
                p50: 1.5,
            },
        }];
        assert_eq!(
            to_csv(&rows).unwrap(),
            "name,time_mean,time_p50\n\"a,b\",,1.5\n"
        );
    }
}
