//! polars at the edges: CSV text to a `DataFrame` (types inferred, or pinned by a schema), a
//! `DataFrame` to Parquet or CSV bytes.
//!
//! Invariant: the same table always gives the same bytes. Column types are inferred from
//! the whole column (never a prefix), and nothing here depends on the thread count.

use polars::prelude::*;
use std::io::Cursor;

/// Parses CSV text (with a header) into a frame, inferring each column's type from all
/// its cells; empty cells are nulls. An empty text (a table with no rows, which
/// `table::to_csv` writes without a header) is an empty frame.
pub fn frame_from_csv(csv: &str) -> PolarsResult<DataFrame> {
    if csv.trim().is_empty() {
        return Ok(DataFrame::empty());
    }
    CsvReadOptions::default()
        .with_infer_schema_length(None)
        .with_has_header(true)
        .into_reader_with_file_handle(Cursor::new(csv.as_bytes()))
        .finish()
}

/// Parses CSV text written for rows of type `T` into a frame with `T`'s column types
/// (`table::schema`), whatever the cells hold; empty cells are nulls. An empty text (no
/// rows) is a frame with `T`'s columns and no rows.
pub fn frame_from_csv_typed<T: sim_core::reflect::Reflect>(csv: &str) -> anyhow::Result<DataFrame> {
    let specs = crate::table::schema::columns(&T::shape());
    if csv.trim().is_empty() {
        let cols: Vec<Column> = specs
            .iter()
            .filter(|c| !c.optional_column)
            .map(|c| Column::new_empty(c.name.as_str().into(), &c.kind.dtype()))
            .collect();
        return Ok(DataFrame::new(0, cols)?);
    }
    let header: Vec<&str> = csv.lines().next().unwrap_or("").split(',').collect();
    let schema: Schema = header
        .iter()
        .map(|name| {
            let name = name.trim_matches('"');
            let spec = specs
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| anyhow::anyhow!("column `{name}` is not a column of this table"))?;
            Ok(Field::new(name.into(), spec.kind.dtype()))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(std::sync::Arc::new(schema)))
        .into_reader_with_file_handle(Cursor::new(csv.as_bytes()))
        .finish()?)
}

/// Reads a CSV file into a frame like [`frame_from_csv`].
pub fn read_csv(path: &std::path::Path) -> anyhow::Result<DataFrame> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    frame_from_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a CSV file a run or a sweep wrote, refusing one that was truncated or damaged since:
/// the text must not be empty and must end with a line break, every row must have the
/// header's number of cells, every column in `required` must exist and every column in
/// `numeric` must hold only numbers (or empty cells). Errors are
/// [`InputError`](crate::error::InputError)s naming the file (exit 2), wrapped in `anyhow`.
pub fn read_csv_strict(
    path: &std::path::Path,
    required: &[&str],
    numeric: &[&str],
) -> anyhow::Result<DataFrame> {
    use crate::error::InputError;
    let bad = |m: String| anyhow::Error::new(InputError::new(path, m));
    let text =
        std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read the table: {e}")))?;
    if text.trim().is_empty() {
        return Err(bad(
            "the table is empty (no header); write it again with `tokenswarm run` or `sweep --resume`"
                .into(),
        ));
    }
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(bad(
            "the table ends in the middle of a row (truncated?); write it again with `tokenswarm run`"
                .into(),
        ));
    }
    let mut cells_per_row = Vec::new();
    let (mut cells, mut quoted) = (1usize, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => cells += 1,
            '\n' if !quoted => {
                cells_per_row.push(cells);
                cells = 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err(bad(
            "a quoted cell is never closed (truncated or damaged table)".into(),
        ));
    }
    if let Some(&header) = cells_per_row.first()
        && let Some(row) = cells_per_row.iter().position(|&n| n != header)
    {
        return Err(bad(format!(
            "row {} has {} cells but the header has {header} (damaged table)",
            row + 1,
            cells_per_row[row]
        )));
    }
    let df = frame_from_csv(&text).map_err(|e| bad(format!("not a readable table: {e}")))?;
    if let Some(missing) = required.iter().find(|c| df.column(c).is_err()) {
        return Err(bad(format!(
            "has no column `{missing}` (damaged, or not a table tokenswarm wrote)"
        )));
    }
    for name in numeric {
        if let Ok(column) = df.column(name)
            && column.strict_cast(&DataType::Float64).is_err()
        {
            return Err(bad(format!(
                "column `{name}` holds cells that are not numbers (damaged table)"
            )));
        }
    }
    Ok(df)
}

/// The frame as a Parquet file (zstd, with statistics).
pub fn parquet_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(df)?;
    Ok(buf)
}

/// The frame as CSV with a header; nulls are empty cells.
pub fn csv_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf).include_header(true).finish(df)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_through_a_frame_and_parquet_is_stable() {
        let csv = "a,b,c\n1,x,\n2,\"y,z\",0.5\n";
        let mut df = frame_from_csv(csv).unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Int64);
        assert_eq!(df.column("c").unwrap().null_count(), 1);
        let p1 = parquet_bytes(&mut df).unwrap();
        let p2 = parquet_bytes(&mut frame_from_csv(csv).unwrap()).unwrap();
        assert_eq!(p1, p2);
        let back = ParquetReader::new(Cursor::new(p1)).finish().unwrap();
        assert!(back.equals_missing(&df));
        assert_eq!(
            String::from_utf8(csv_bytes(&mut df).unwrap()).unwrap(),
            "a,b,c\n1,x,\n2,\"y,z\",0.5\n"
        );
    }
}
