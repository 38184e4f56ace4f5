//! [`OptimizerSpec`] and [`OptimizerKind`] beyond the list: their config form (serde, `kind` tag, unknown and renamed fields refused), display, and the shortcuts the lab uses.

use std::fmt;

use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::registry::{Family, OptimizerKind, OptimizerSpec, SpecOptions};

impl OptimizerSpec {
    /// Short display name: `WP`, `Dopamine-1`, `Dopamine-2`, `SGD`, `Adam`, `OpenES`, `SNES`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// `true` for the rules that need only forward passes and probe one
    /// point at a time (WP, Dopamine-1, Dopamine-2).
    pub fn is_perturbation(&self) -> bool {
        self.kind().family() == Family::Perturbation
    }

    /// Forward-pass equivalents of one step without options; see
    /// [`OptimizerSpec::passes_per_step_with`].
    pub fn passes_per_step(&self) -> u64 {
        self.passes_per_step_with(&SpecOptions::default())
    }

    /// The running optimizer for `dim` parameters in `T`, without options;
    /// see [`OptimizerSpec::build_with`].
    pub fn build<T: Float>(
        &self,
        dim: usize,
        seed: u64,
        total_steps: u64,
    ) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        self.build_with(&SpecOptions::default(), None, dim, seed, total_steps)
    }
}

impl SpecOptions {
    /// Refuses options that do not apply to `spec`, naming the field (see
    /// [`OptimizerSpec::check_options`]).
    pub fn check(&self, spec: &OptimizerSpec) -> Result<(), SpecError> {
        spec.check_options(self)
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Written as its display name (`"Dopamine-1"`).
impl Serialize for OptimizerKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for OptimizerKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        OptimizerKind::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = OptimizerKind::ALL.iter().map(|k| k.name()).collect();
            D::Error::custom(format!(
                "unknown optimizer `{name}`, expected one of {}",
                names.join(", ")
            ))
        })
    }
}

/// Written as a config writes it: `kind` first, then every setting.
impl Serialize for OptimizerSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_tagged(serializer)
    }
}

/// A settings struct with its `kind` tag in front, as a config writes it.
#[derive(Serialize)]
pub(super) struct Tagged<'a, S> {
    /// The config's tag of the optimizer.
    pub(super) kind: &'static str,
    /// Its settings.
    #[serde(flatten)]
    pub(super) settings: &'a S,
}

/// Read from a table with a `kind` tag (`wp`, `dopamine1`, ...) and the
/// settings of that optimizer; unknown fields are refused, and so are the
/// settings' old names (with the new ones). An unknown `kind` is an error at
/// the `kind` field.
impl<'de> Deserialize<'de> for OptimizerSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SpecVisitor)
    }
}

/// Reads a spec's table: the `kind` first-class, the settings as values.
struct SpecVisitor;

impl<'de> Visitor<'de> for SpecVisitor {
    type Value = OptimizerSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an optimizer: a table with a `kind` and its settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OptimizerSpec, A::Error> {
        let mut kind = None;
        let mut fields = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "kind" {
                kind = Some(map.next_value::<KindTag>()?.0);
            } else {
                let value: serde_json::Value = map.next_value()?;
                fields.insert(key, value);
            }
        }
        let kind = kind.ok_or_else(|| A::Error::missing_field("kind"))?;
        OptimizerSpec::from_fields(kind, serde_json::Value::Object(fields))
            .map_err(A::Error::custom)
    }
}

/// An optimizer read from its config tag.
struct KindTag(OptimizerKind);

impl<'de> Deserialize<'de> for KindTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(deserializer)?;
        OptimizerKind::from_tag(&tag).map(KindTag).ok_or_else(|| {
            let tags: Vec<&str> = OptimizerKind::ALL.iter().map(|k| k.tag()).collect();
            D::Error::unknown_variant(&tag, leak(tags))
        })
    }
}

/// The list of tags as the `'static` slice serde's error wants (built once).
fn leak(tags: Vec<&'static str>) -> &'static [&'static str] {
    static TAGS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    TAGS.get_or_init(|| tags)
}
