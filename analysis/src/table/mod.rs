//! Tables from serializable rows: CSV text, and a typed polars frame whose column types come
//! from the row type (`schema`), not from the values. Nested fields flatten to
//! `parent.child` columns, `None` becomes an empty cell (null), columns keep the struct's
//! field order.
//!
//! Invariant: the same rows always give the same bytes, and a column has the same type in
//! every table of one row type.

mod cells;
pub mod schema;

use cells::{Cell, RowWriter, push_quoted};
use polars::prelude::{Column, DataFrame};
use schema::{ColumnSpec, ColumnType, columns};
use serde::Serialize;
use sim_core::reflect::Reflect;

/// A table as CSV text and as a typed frame.
#[derive(Debug)]
pub struct Table {
    pub csv: String,
    pub frame: DataFrame,
}

/// Renders `rows` as CSV and as a frame typed by `T`'s shape, in one pass. A table without
/// rows is empty CSV (no header) and a frame with every column `T` always writes, typed.
pub fn to_table<T: Serialize + Reflect>(rows: &[T]) -> anyhow::Result<Table> {
    let specs = columns(&T::shape());
    let Some((first, rest)) = rows.split_first() else {
        let cols: Vec<Column> = specs
            .iter()
            .filter(|c| !c.optional_column)
            .map(|c| Column::new_empty(c.name.as_str().into(), &c.kind.dtype()))
            .collect();
        return Ok(Table {
            csv: String::new(),
            frame: DataFrame::new(0, cols)?,
        });
    };
    let mut line = String::new();
    let mut names = Vec::new();
    let mut typed: Vec<Vec<Cell>> = Vec::new();
    RowWriter::new(&mut line, Some(&mut names))
        .collecting(&mut typed)
        .write(first)?;
    let mut out = String::with_capacity((line.len() + 1) * rows.len() + 64);
    push_header(&mut out, &names);
    out.push_str(&line);
    out.push('\n');
    {
        let mut writer = RowWriter::new(&mut out, None).collecting(&mut typed);
        for row in rest {
            writer.write(row)?;
            writer.end_line();
        }
    }
    let mut cols = Vec::with_capacity(names.len());
    for (name, cells) in names.iter().zip(typed) {
        let spec = specs.iter().find(|c| &c.name == name).ok_or_else(|| {
            anyhow::anyhow!(
                "column `{name}` is not in the shape of {}",
                std::any::type_name::<T>()
            )
        })?;
        cols.push(typed_column(spec, cells)?);
    }
    Ok(Table {
        csv: out,
        frame: DataFrame::new(rows.len(), cols)?,
    })
}

fn push_header(out: &mut String, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_quoted(out, name);
    }
    out.push('\n');
}

/// One column of cells as a polars column of the spec's type. A cell of another kind is a
/// bug (the shape does not describe the row type), reported as an error naming the column.
fn typed_column(spec: &ColumnSpec, cells: Vec<Cell>) -> anyhow::Result<Column> {
    let name = spec.name.as_str().into();
    let bad = |c: &Cell| {
        anyhow::anyhow!(
            "column `{}` of type {} holds {c:?}",
            spec.name,
            spec.kind.name()
        )
    };
    Ok(match spec.kind {
        ColumnType::Float64 => {
            let mut v: Vec<Option<f64>> = Vec::with_capacity(cells.len());
            for c in &cells {
                v.push(match c {
                    Cell::Null => None,
                    Cell::Float(x) => Some(*x),
                    Cell::UInt(u) => Some(*u as f64),
                    Cell::Int(i) => Some(*i as f64),
                    other => return Err(bad(other)),
                });
            }
            Column::new(name, v)
        }
        ColumnType::UInt64 => {
            let mut v: Vec<Option<u64>> = Vec::with_capacity(cells.len());
            for c in &cells {
                v.push(match c {
                    Cell::Null => None,
                    Cell::UInt(u) => Some(*u),
                    other => return Err(bad(other)),
                });
            }
            Column::new(name, v)
        }
        ColumnType::Int64 => {
            let mut v: Vec<Option<i64>> = Vec::with_capacity(cells.len());
            for c in &cells {
                v.push(match c {
                    Cell::Null => None,
                    Cell::Int(i) => Some(*i),
                    Cell::UInt(u) => Some(i64::try_from(*u).map_err(|_| bad(c))?),
                    other => return Err(bad(other)),
                });
            }
            Column::new(name, v)
        }
        ColumnType::Bool => {
            let mut v: Vec<Option<bool>> = Vec::with_capacity(cells.len());
            for c in &cells {
                v.push(match c {
                    Cell::Null => None,
                    Cell::Bool(b) => Some(*b),
                    other => return Err(bad(other)),
                });
            }
            Column::new(name, v)
        }
        ColumnType::Text => {
            // An empty text cell reads back from CSV as null; the frame says the same.
            let v: Vec<Option<String>> = cells
                .into_iter()
                .map(|c| match c {
                    Cell::Text(t) if !t.is_empty() => Ok(Some(t)),
                    Cell::Text(_) | Cell::Null => Ok(None),
                    other => Err(bad(&other)),
                })
                .collect::<anyhow::Result<_>>()?;
            Column::new(name, v)
        }
    })
}

/// Renders `rows` as CSV with a header row. Rows must all have the same shape.
/// Cost: one pass over the rows; no allocation per row but for lists (JSON cells).
pub fn to_csv<T: Serialize>(rows: &[T]) -> Result<String, serde_json::Error> {
    let Some((first, rest)) = rows.split_first() else {
        return Ok(String::new());
    };
    let mut line = String::new();
    let mut names = Vec::new();
    RowWriter::new(&mut line, Some(&mut names)).write(first)?;
    let mut out = String::with_capacity((line.len() + 1) * rows.len() + 64);
    push_header(&mut out, &names);
    out.push_str(&line);
    out.push('\n');
    let mut writer = RowWriter::new(&mut out, None);
    for row in rest {
        writer.write(row)?;
        writer.end_line();
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
            "name,time.mean,time.p50\n\"a,b\",,1.5\n"
        );
    }

    /// The definition the writer must match: flatten `serde_json::to_value(row)`.
    fn reference_csv<T: Serialize>(rows: &[T]) -> String {
        use serde_json::Value;
        fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
            match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        let key = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        flatten(&key, v, out);
                    }
                }
                Value::Null => out.push((prefix.to_string(), String::new())),
                Value::String(s) => out.push((prefix.to_string(), s.clone())),
                other => out.push((prefix.to_string(), other.to_string())),
            }
        }
        let quoted = |cell: &str| {
            let mut s = String::new();
            push_quoted(&mut s, cell);
            s
        };
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            let mut cells = Vec::new();
            flatten("", &serde_json::to_value(row).unwrap(), &mut cells);
            if i == 0 {
                let names: Vec<String> = cells.iter().map(|(k, _)| quoted(k)).collect();
                out += &names.join(",");
                out.push('\n');
            }
            let values: Vec<String> = cells.iter().map(|(_, v)| quoted(v)).collect();
            out += &values.join(",");
            out.push('\n');
        }
        out
    }

    #[derive(Serialize)]
    enum Kind {
        Plain,
        Wrapped(u32),
        Pair(i8, f32),
        Shaped { w: f64, tag: Option<&'static str> },
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Meters(f64);

    #[derive(Serialize)]
    struct Every {
        flag: bool,
        small: i8,
        big: u64,
        negative: i64,
        wide: i128,
        float: f64,
        tiny: f64,
        huge: f64,
        whole: f64,
        nan: f64,
        infinite: f32,
        single: f32,
        letter: char,
        text: String,
        awkward: &'static str,
        nothing: Option<u8>,
        unit: (),
        unit_struct: Unit,
        newtype: Meters,
        kind: Kind,
        list: Vec<f64>,
        tuple: (u8, &'static str),
        map: std::collections::BTreeMap<String, Option<i32>>,
        numbered: std::collections::BTreeMap<u16, bool>,
        #[serde(flatten)]
        flattened: Inner,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
    }

    fn every(i: u64, kind: Kind) -> Every {
        let f = i as f64;
        Every {
            flag: i.is_multiple_of(2),
            small: -(i as i8),
            big: u64::MAX - i,
            negative: -(i as i64) * 1_000_003,
            wide: -(i as i128) << 40,
            float: f / 7.0,
            tiny: 1e-300 * (f + 1.0),
            huge: 1.5e300 * f,
            whole: f * 1e6,
            nan: f64::NAN,
            infinite: f32::INFINITY,
            single: 0.1 + i as f32,
            letter: ',',
            text: format!("row {i}"),
            awkward: "say \"hi\",\nthen\r leave",
            nothing: i.is_multiple_of(3).then_some(i as u8),
            unit: (),
            unit_struct: Unit,
            newtype: Meters(f + 0.25),
            kind,
            list: vec![f, f64::NAN, 0.5],
            tuple: (i as u8, "x,y"),
            map: [("a".to_string(), Some(i as i32)), ("b_c".to_string(), None)]
                .into_iter()
                .collect(),
            numbered: [(7, true), (3, false)].into_iter().collect(),
            flattened: Inner { mean: None, p50: f },
            skipped: None,
        }
    }

    #[test]
    fn matches_flattening_the_json_value_on_every_shape() {
        let kinds = || {
            [
                Kind::Plain,
                Kind::Wrapped(9),
                Kind::Pair(-3, 2.5),
                Kind::Shaped {
                    w: 1.0 / 3.0,
                    tag: Some("t"),
                },
                Kind::Shaped { w: -0.0, tag: None },
            ]
        };
        for (i, kind) in kinds().into_iter().enumerate() {
            let rows: Vec<Every> = (0..4)
                .map(|j| every(i as u64 * 10 + j, Kind::Plain))
                .collect();
            assert_eq!(to_csv(&rows).unwrap(), reference_csv(&rows));
            let one = [every(i as u64, kind)];
            assert_eq!(to_csv(&one).unwrap(), reference_csv(&one), "kind {i}");
        }
        let empty: [Every; 0] = [];
        assert_eq!(to_csv(&empty).unwrap(), "");
        let plain = [1.5f64, 2.0];
        assert_eq!(to_csv(&plain).unwrap(), reference_csv(&plain));
    }
}
