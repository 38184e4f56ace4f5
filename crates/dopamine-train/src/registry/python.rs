//! What front ends read from the registry to offer its entries: [`Python`] (an entry's class in the Python bindings, or why it has none), [`EntryVisitor`] (an entry's type, for code generic over entries), and a settings struct's [`schema`] (types and doc comments) and [`field_names`] (declaration order).

use serde::Deserialize;
use serde::de::{self, Visitor};

use crate::registry::{OptimizerEntry, OptimizerSpec};

/// How a registry entry appears in the Python bindings (`dopamine_py`).
///
/// A class takes the entry's settings as keyword arguments under their
/// config names, and its interface is that of the optimizer the entry
/// builds: a perturbation optimizer has the population and one-point
/// interfaces, another population method the population interface, a
/// gradient method a gradient step. Nothing else is written for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Python {
    /// A class of this name (a Python identifier: `WP`, `Dopamine1`, ...).
    Class(&'static str),
    /// No class, for this reason (shown in the module's `OPTIMIZERS` and
    /// its type stubs), e.g. an optimizer that needs the model itself, not
    /// a flat parameter vector.
    Excluded(&'static str),
}

/// Code generic over the registry's entries: [`crate::OptimizerKind::visit`]
/// calls [`EntryVisitor::visit`] with the entry's settings type, so a
/// front end reads its constants, schema and serde form without a match
/// over the entries.
pub trait EntryVisitor {
    /// What the visit returns.
    type Output;

    /// Visits the entry whose settings struct is `E`.
    fn visit<E: OptimizerEntry>(self) -> Self::Output
    where
        OptimizerSpec: From<E>;
}

/// The JSON schema of a settings struct (or of [`crate::SpecOptions`]):
/// every setting's type, and its doc comment as `description`.
pub fn schema<S: schemars::JsonSchema>() -> serde_json::Value {
    schemars::schema_for!(S).to_value()
}

/// The fields of a struct that derives serde's `Deserialize`, in the
/// order it declares them (a schema lists them by name).
pub fn field_names<S: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    // The derived impl hands its field list to `deserialize_struct`, which
    // records it and stops: no value is read.
    let _ = S::deserialize(&mut names);
    names.0
}

/// A deserializer that only records the field list of a struct.
struct FieldNames(&'static [&'static str]);

/// The error of [`FieldNames`] (a struct's fields are all it wants).
#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}
