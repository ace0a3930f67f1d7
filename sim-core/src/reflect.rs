//! The shape of the report's types — every field's name, type and documentation — so that
//! tables get their column types from the types of their rows (never from the values that
//! happen to be there) and the metric glossary comes from the doc comments of the fields
//! where the metrics are computed.
//!
//! A type declares its shape with [`documented!`] around its definition: the doc comments
//! stay the only documentation, and the macro makes them readable at run time.
//!
//! Invariant: a shape describes the type exactly as serde serializes it (field order, names,
//! `Option` for nullable values); the table tests check it against the written tables.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// What a value looks like once serialized.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Bool,
    /// A signed integer.
    Signed,
    /// An unsigned integer (counts, ids, bytes).
    Unsigned,
    Float,
    Text,
    /// A value that may be null.
    Optional(Box<Shape>),
    /// A list (a JSON cell in a table; in a summary, keyed by its items' `name`).
    List(Box<Shape>),
    /// A map with text keys (each key a column or a metric path component).
    Map(Box<Shape>),
    Struct(StructShape),
}

/// A struct: its name, documentation and fields in serialization order.
#[derive(Clone, Debug, PartialEq)]
pub struct StructShape {
    pub name: &'static str,
    /// The struct's doc comment as one line.
    pub doc: String,
    pub fields: Vec<FieldShape>,
}

/// One field of a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldShape {
    pub name: &'static str,
    /// The field's doc comment, lines joined by spaces and trimmed.
    pub doc: String,
    pub shape: Shape,
    /// Left out of the output when `None` (`skip_serializing_if = "Option::is_none"`).
    pub skipped_when_none: bool,
}

/// A type whose serialized shape is known.
pub trait Reflect {
    fn shape() -> Shape;
}

macro_rules! leaf {
    ($shape:ident: $($t:ty),*) => {$(
        impl Reflect for $t {
            fn shape() -> Shape {
                Shape::$shape
            }
        }
    )*};
}
leaf!(Unsigned: u8, u16, u32, u64, usize);
leaf!(Signed: i8, i16, i32, i64);
leaf!(Float: f32, f64);
leaf!(Bool: bool);
leaf!(Text: String, &str);

impl Reflect for Cow<'_, str> {
    fn shape() -> Shape {
        Shape::Text
    }
}

impl<T: Reflect> Reflect for Option<T> {
    fn shape() -> Shape {
        Shape::Optional(Box::new(T::shape()))
    }
}

impl<T: Reflect> Reflect for Vec<T> {
    fn shape() -> Shape {
        Shape::List(Box::new(T::shape()))
    }
}

impl<V: Reflect> Reflect for BTreeMap<String, V> {
    fn shape() -> Shape {
        Shape::Map(Box::new(V::shape()))
    }
}

/// A doc comment as one line: words separated by single spaces.
pub fn doc_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a field's attributes (as text) skip it when `None`.
#[doc(hidden)]
pub fn skips_none(attrs: &[&str]) -> bool {
    attrs
        .iter()
        .any(|a| a.contains("skip_serializing_if") && a.contains("is_none"))
}

/// Declares a struct and its [`Reflect`] shape from one definition: doc comments of the
/// struct and of each field become the shape's documentation.
///
/// ```
/// use sim_core::reflect::{Reflect, Shape};
/// sim_core::documented! {
///     /// A sample.
///     #[derive(serde::Serialize)]
///     pub struct Sample {
///         /// Time it took, seconds.
///         pub took_s: Option<f64>,
///         pub count: u32,
///     }
/// }
/// let Shape::Struct(s) = Sample::shape() else { unreachable!() };
/// assert_eq!(s.fields[0].doc, "Time it took, seconds.");
/// assert_eq!(s.fields[1].shape, Shape::Unsigned);
/// ```
#[macro_export]
macro_rules! documented {
    (
        $(#[$($sattr:tt)*])*
        $vis:vis struct $name:ident {
            $(
                $(#[$($fattr:tt)*])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$($sattr)*])*
        $vis struct $name {
            $(
                $(#[$($fattr)*])*
                $fvis $field: $ty,
            )*
        }

        impl $crate::reflect::Reflect for $name {
            fn shape() -> $crate::reflect::Shape {
                $crate::reflect::Shape::Struct($crate::reflect::StructShape {
                    name: stringify!($name),
                    doc: $crate::reflect::doc_line($crate::__doc_text!([] $(#[$($sattr)*])*)),
                    fields: vec![$(
                        $crate::reflect::FieldShape {
                            name: stringify!($field),
                            doc: $crate::reflect::doc_line(
                                $crate::__doc_text!([] $(#[$($fattr)*])*)
                            ),
                            shape: <$ty as $crate::reflect::Reflect>::shape(),
                            skipped_when_none: $crate::reflect::skips_none(&[
                                $(stringify!($($fattr)*)),*
                            ]),
                        },
                    )*],
                })
            }
        }
    };
}

/// The doc comments among attributes, as one string literal (lines joined by spaces).
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_text {
    ([$($d:literal)*]) => { concat!($($d, " ",)*) };
    ([$($d:literal)*] #[doc = $x:literal] $($rest:tt)*) => {
        $crate::__doc_text!([$($d)* $x] $($rest)*)
    };
    ([$($d:literal)*] #[$($other:tt)*] $($rest:tt)*) => {
        $crate::__doc_text!([$($d)*] $($rest)*)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::documented! {
        /// Outer.
        #[derive(serde::Serialize)]
        struct Outer {
            /// First line
            /// and second.
            #[serde(skip_serializing_if = "Option::is_none")]
            inner: Option<Inner>,
            counts: BTreeMap<String, u64>,
            names: Vec<String>,
        }
    }

    crate::documented! {
        #[derive(serde::Serialize)]
        struct Inner {
            /// Seconds.
            time_s: f64,
        }
    }

    #[test]
    fn shapes_follow_the_definition_and_its_doc_comments() {
        let Shape::Struct(s) = Outer::shape() else {
            panic!("a struct")
        };
        assert_eq!((s.name, s.doc.as_str()), ("Outer", "Outer."));
        assert_eq!(s.fields[0].doc, "First line and second.");
        assert!(s.fields[0].skipped_when_none && !s.fields[1].skipped_when_none);
        let Shape::Optional(inner) = &s.fields[0].shape else {
            panic!("optional")
        };
        let Shape::Struct(i) = inner.as_ref() else {
            panic!("a struct")
        };
        assert_eq!(
            (i.fields[0].name, i.fields[0].shape.clone()),
            ("time_s", Shape::Float)
        );
        assert_eq!(s.fields[1].shape, Shape::Map(Box::new(Shape::Unsigned)));
        assert_eq!(s.fields[2].shape, Shape::List(Box::new(Shape::Text)));
        assert_eq!(s.fields[2].doc, "");
    }
}
