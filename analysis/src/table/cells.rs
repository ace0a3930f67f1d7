//! One table row as CSV cells, straight from its `Serialize` implementation, with no
//! `serde_json::Value` tree in between (a journal of half a million rows is written in a
//! fraction of the time).
//!
//! Rules, those of the module above: nested structs, maps and enum variants with data flatten
//! to `parent.child` columns; `None`, unit and non-finite floats are empty cells; unit variants
//! are their name; a list of any kind is one cell of compact JSON.
//!
//! Invariant: the names and cells are exactly those of flattening `serde_json::to_value(row)`
//! (numbers print as serde_json prints them); the tests compare the two on every shape. The
//! typed cells collected for a frame are the same values as the text cells.

use serde::Serialize;
use serde::ser;
use serde_json::{Error, Number, Value};
use std::fmt::Write;

/// One cell as a typed value, for a typed frame.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

/// Appends one row's cells to a line, their column names to a list if one is given, and
/// their typed values to per-column lists if those are given.
pub(super) struct RowWriter<'a> {
    line: &'a mut String,
    names: Option<&'a mut Vec<String>>,
    typed: Option<&'a mut Vec<Vec<Cell>>>,
    /// Column name of the value being written (`parent.child`).
    path: String,
    cells: usize,
}

impl<'a> RowWriter<'a> {
    pub(super) fn new(line: &'a mut String, names: Option<&'a mut Vec<String>>) -> Self {
        RowWriter {
            line,
            names,
            typed: None,
            path: String::new(),
            cells: 0,
        }
    }

    /// Also collects every cell's typed value, column by column.
    pub(super) fn collecting(mut self, typed: &'a mut Vec<Vec<Cell>>) -> Self {
        self.typed = Some(typed);
        self
    }

    /// Records the typed value of the cell just begun.
    fn record(&mut self, cell: Cell) {
        if let Some(typed) = &mut self.typed {
            let i = self.cells - 1;
            if typed.len() <= i {
                typed.resize_with(i + 1, Vec::new);
            }
            typed[i].push(cell);
        }
    }

    /// Appends `row`'s cells, separated by commas (no line end). A writer can write many
    /// rows, one after the other; its buffers are reused.
    pub(super) fn write<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(), Error> {
        self.cells = 0;
        self.path.clear();
        row.serialize(&mut *self)
    }

    /// Ends the current line.
    pub(super) fn end_line(&mut self) {
        self.line.push('\n');
    }

    /// Starts a cell: the separator, and the column name when names are collected.
    fn begin_cell(&mut self) {
        if self.cells > 0 {
            self.line.push(',');
        }
        self.cells += 1;
        if let Some(names) = &mut self.names {
            names.push(self.path.clone());
        }
    }

    /// A text cell, quoted if it holds a comma, a quote or a line break.
    fn text_cell(&mut self, text: &str) {
        self.begin_cell();
        push_quoted(self.line, text);
        if self.typed.is_some() {
            self.record(Cell::Text(text.to_string()));
        }
    }

    /// An empty cell (null).
    fn null_cell(&mut self) {
        self.begin_cell();
        self.record(Cell::Null);
    }

    /// A cell printed by `Display` that never needs quoting (a number or a boolean).
    fn display_cell(&mut self, value: impl std::fmt::Display, typed: Cell) {
        self.begin_cell();
        // Writing to a String cannot fail.
        let _ = write!(self.line, "{value}");
        self.record(typed);
    }

    /// A cell holding a value that is not a struct or map: empty for null, the text of a
    /// string, compact JSON otherwise.
    fn value_cell(&mut self, value: &Value) {
        match value {
            Value::Null => self.null_cell(),
            Value::String(s) => self.text_cell(s),
            other => {
                let json = other.to_string();
                self.text_cell(&json);
            }
        }
    }

    /// Writes `value` under the column name `path_key` (`key` at the top level).
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        let len = self.enter(key);
        value.serialize(&mut *self)?;
        self.path.truncate(len);
        Ok(())
    }

    /// Extends the column name by `key`; returns the length to truncate back to.
    fn enter(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if len > 0 {
            self.path.push(super::schema::NESTED);
        }
        self.path.push_str(key);
        len
    }
}

/// Appends `cell` to `line`, quoted as CSV requires.
pub(super) fn push_quoted(line: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&cell.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(cell);
    }
}

/// A list's elements, collected as values and written as one JSON cell at the end.
pub(super) struct JsonCell<'w, 'a> {
    writer: &'w mut RowWriter<'a>,
    items: Vec<Value>,
    /// For a tuple variant: the column name's length before the variant's name was added.
    restore: Option<usize>,
}

impl JsonCell<'_, '_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(serde_json::to_value(value)?);
        Ok(())
    }

    fn finish(self) -> Result<(), Error> {
        let JsonCell {
            writer,
            items,
            restore,
        } = self;
        writer.value_cell(&Value::Array(items));
        if let Some(len) = restore {
            writer.path.truncate(len);
        }
        Ok(())
    }
}

/// A struct variant's fields, named under the variant's name.
pub(super) struct VariantFields<'w, 'a> {
    writer: &'w mut RowWriter<'a>,
    /// The column name's length before the variant's name was added.
    restore: usize,
}

/// A map's entries, each a column named after its key.
pub(super) struct MapCells<'w, 'a> {
    writer: &'w mut RowWriter<'a>,
    key: String,
}

impl<'w, 'a> ser::Serializer for &'w mut RowWriter<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = JsonCell<'w, 'a>;
    type SerializeTuple = JsonCell<'w, 'a>;
    type SerializeTupleStruct = JsonCell<'w, 'a>;
    type SerializeTupleVariant = JsonCell<'w, 'a>;
    type SerializeMap = MapCells<'w, 'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = VariantFields<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.display_cell(v, Cell::Bool(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.display_cell(v, Cell::Int(v));
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        let value = serde_json::to_value(v)?;
        self.value_cell(&value);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.display_cell(v, Cell::UInt(v));
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        let value = serde_json::to_value(v)?;
        self.value_cell(&value);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        // serde_json keeps an f32 as the f64 it widens to.
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        match Number::from_f64(v) {
            Some(n) => self.display_cell(n, Cell::Float(v)),
            None => self.null_cell(),
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.text_cell(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.text_cell(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let value = serde_json::to_value(v)?;
        self.value_cell(&value);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.null_cell();
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.null_cell();
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.text_cell(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(variant, value)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<JsonCell<'w, 'a>, Error> {
        Ok(JsonCell {
            writer: self,
            items: Vec::with_capacity(len.unwrap_or(0)),
            restore: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<JsonCell<'w, 'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<JsonCell<'w, 'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<JsonCell<'w, 'a>, Error> {
        let restore = Some(self.enter(variant));
        Ok(JsonCell {
            writer: self,
            items: Vec::with_capacity(len),
            restore,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapCells<'w, 'a>, Error> {
        Ok(MapCells {
            writer: self,
            key: String::new(),
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, Error> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantFields<'w, 'a>, Error> {
        let restore = self.enter(variant);
        Ok(VariantFields {
            writer: self,
            restore,
        })
    }
}

/// The four list-like compounds all collect their elements into one JSON cell.
macro_rules! json_cell_compound {
    ($($trait:ident :: $method:ident),* $(,)?) => {$(
        impl ser::$trait for JsonCell<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.push(value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

json_cell_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

impl ser::SerializeMap for MapCells<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        // As serde_json's maps: string keys as they are, numbers and booleans as printed.
        self.key = match serde_json::to_value(key)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(ser::Error::custom(format!(
                    "a table column name must be a string, got {other}"
                )));
            }
        };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = std::mem::take(&mut self.key);
        self.writer.field(&key, value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut RowWriter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for VariantFields<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.writer.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.writer.path.truncate(self.restore);
        Ok(())
    }
}
