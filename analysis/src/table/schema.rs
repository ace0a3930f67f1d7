//! Column types from the types of a table's rows: the shape a row type declares
//! (`sim_core::reflect`) flattened the way the CSV writer flattens values, so a column's type
//! is the field's type whatever the values — a column that happens to be empty in one run has
//! the type it has in every other.
//!
//! Invariant: names follow the writer's rules (nested struct fields join with `.`, an
//! optional struct's fields become optional columns, lists are one JSON text cell).

use polars::prelude::{DataType, Field, Schema};
use sim_core::reflect::Shape;

/// The type of a table column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Bool,
    Int64,
    UInt64,
    Float64,
    Text,
}

impl ColumnType {
    pub fn dtype(self) -> DataType {
        match self {
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::UInt64 => DataType::UInt64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Text => DataType::String,
        }
    }

    /// The name used in `docs/metrics.md` and the schema test.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Bool => "bool",
            ColumnType::Int64 => "int64",
            ColumnType::UInt64 => "uint64",
            ColumnType::Float64 => "float64",
            ColumnType::Text => "text",
        }
    }
}

/// One column of a table: its name, type, and whether the field that makes it is left out
/// when `None` (then the column exists only in tables where it is set).
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: ColumnType,
    pub nullable: bool,
    pub optional_column: bool,
    /// The field's documentation.
    pub doc: String,
}

/// The separator of nested field names in table columns and metric names.
pub const NESTED: char = '.';

/// The columns of a table whose rows have `shape`. Maps are not allowed in rows (their keys
/// would be columns that differ from row to row): a bug, hence the panic.
pub fn columns(shape: &Shape) -> Vec<ColumnSpec> {
    let mut out = Vec::new();
    flatten("", shape, false, false, "", &mut out);
    out
}

fn leaf(shape: &Shape) -> Option<ColumnType> {
    Some(match shape {
        Shape::Bool => ColumnType::Bool,
        Shape::Signed => ColumnType::Int64,
        Shape::Unsigned => ColumnType::UInt64,
        Shape::Float => ColumnType::Float64,
        Shape::Text | Shape::List(_) => ColumnType::Text,
        _ => return None,
    })
}

fn flatten(
    prefix: &str,
    shape: &Shape,
    nullable: bool,
    optional_column: bool,
    doc: &str,
    out: &mut Vec<ColumnSpec>,
) {
    if let Some(kind) = leaf(shape) {
        out.push(ColumnSpec {
            name: prefix.to_string(),
            kind,
            // Non-finite floats are written as empty cells.
            nullable: nullable || kind == ColumnType::Float64,
            optional_column,
            doc: doc.to_string(),
        });
        return;
    }
    match shape {
        Shape::Optional(inner) => flatten(prefix, inner, true, optional_column, doc, out),
        Shape::Struct(s) => {
            for f in &s.fields {
                let name = if prefix.is_empty() {
                    f.name.to_string()
                } else {
                    format!("{prefix}{NESTED}{}", f.name)
                };
                flatten(
                    &name,
                    &f.shape,
                    nullable,
                    optional_column || f.skipped_when_none,
                    &f.doc,
                    out,
                );
            }
        }
        Shape::Map(_) => panic!("a table row holds a map at `{prefix}`: its columns would vary"),
        _ => unreachable!("leaves are handled above"),
    }
}

/// The polars schema of `columns` (for reading a CSV table back with its pinned types).
pub fn polars_schema(columns: &[ColumnSpec]) -> Schema {
    columns
        .iter()
        .map(|c| Field::new(c.name.as_str().into(), c.kind.dtype()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::reflect::Reflect;
    use sim_core::report::TorrentSummary;

    #[test]
    fn nested_and_optional_fields_flatten_like_the_writer() {
        let cols = columns(&TorrentSummary::shape());
        let find = |n: &str| {
            cols.iter()
                .find(|c| c.name == n)
                .unwrap_or_else(|| panic!("{n}"))
        };
        assert_eq!(find("download_time_s.count").kind, ColumnType::UInt64);
        assert_eq!(find("download_time_s.p50").kind, ColumnType::Float64);
        assert!(find("longevity_s").nullable);
        let site = find("listing.site");
        assert!(site.optional_column && site.kind == ColumnType::Text);
        assert!(!find("name").optional_column);
    }
}
