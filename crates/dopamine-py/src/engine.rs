//! The optimizer behind a Python object: one rule in one dtype (the perturbation optimizers, OpenES among them) or SNES in one dtype, and the dispatch over the combinations.

use std::sync::Arc;

use dopamine_core::{Dopamine1, Dopamine2, OpenEs, Real, Snes, Wp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A float type the bindings accept: `f32` or `f64`, a kernel [`Real`] and a
/// numpy element.
pub(crate) trait Float: Real + numpy::Element {
    /// The numpy name of the dtype.
    const NAME: &'static str;

    /// This type's reusable buffer in `scratch`.
    fn buffer(scratch: &mut Scratch) -> &mut Vec<Self>;
}

impl Float for f32 {
    const NAME: &'static str = "float32";

    fn buffer(scratch: &mut Scratch) -> &mut Vec<Self> {
        &mut scratch.f32
    }
}

impl Float for f64 {
    const NAME: &'static str = "float64";

    fn buffer(scratch: &mut Scratch) -> &mut Vec<Self> {
        &mut scratch.f64
    }
}

/// A reusable buffer of `P` values: the moving base of a population `ask`.
/// Kept between calls so that large parameter vectors are not allocated (and
/// page-faulted) at every step. Not part of the optimizer's state.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    f32: Vec<f32>,
    f64: Vec<f64>,
}

/// A vector of one value per parameter (or two, for OpenES's Adam moments)
/// that a rule or SNES keeps, owned by the binding and shared copy-on-write:
/// Dopamine-2's eligibility trace, OpenES's moments, SNES's `sigma`.
///
/// Cloning it is cheap (a reference count), and the values are copied only
/// if they are written while another clone is alive. `step` keeps a clone of
/// the optimizer from before each exchange (SNES: before the step), to take
/// it back if the Python loss function raises; the vector is never written
/// while points are planned or built, and the clone is dropped before the
/// `tell` that may update it, so the snapshot costs no copy.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SharedVec<T>(Arc<Vec<T>>);

impl<T> SharedVec<T> {
    /// A shared vector of `values`.
    pub(crate) fn new(values: Vec<T>) -> Self {
        Self(Arc::new(values))
    }
}

impl<T> AsRef<[T]> for SharedVec<T> {
    fn as_ref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Clone> AsMut<[T]> for SharedVec<T> {
    fn as_mut(&mut self) -> &mut [T] {
        Arc::make_mut(&mut self.0).as_mut_slice()
    }
}

impl<T: Serialize> Serialize for SharedVec<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.as_slice().serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for SharedVec<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(Self::new)
    }
}

/// Which rule an optimizer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    /// Weight perturbation.
    Wp,
    /// Dopamine-1.
    Dopamine1,
    /// Dopamine-2.
    Dopamine2,
    /// OpenES.
    OpenEs,
}

/// Which float type an optimizer runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dtype {
    /// `float32`.
    F32,
    /// `float64`.
    F64,
}

impl Dtype {
    /// The numpy name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dtype::F32 => f32::NAME,
            Dtype::F64 => f64::NAME,
        }
    }
}

/// The kernel's perturbation optimizer for one of the eight (rule, dtype)
/// pairs. Serialized as a whole for pickling (new variants go at the end, so
/// that the bytes of the others stay as they were); Dopamine-2's eligibility
/// trace and OpenES's moments are a [`SharedVec`] the binding owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Engine {
    /// WP on `f32`.
    WpF32(Wp<f32>),
    /// WP on `f64`.
    WpF64(Wp<f64>),
    /// Dopamine-1 on `f32`.
    D1F32(Dopamine1<f32>),
    /// Dopamine-1 on `f64`.
    D1F64(Dopamine1<f64>),
    /// Dopamine-2 on `f32`.
    D2F32(Dopamine2<f32, SharedVec<f32>>),
    /// Dopamine-2 on `f64`.
    D2F64(Dopamine2<f64, SharedVec<f64>>),
    /// OpenES on `f32` (Adam's moments `m`, `v` in one vector of `2P`).
    OesF32(OpenEs<f32, SharedVec<f32>>),
    /// OpenES on `f64`.
    OesF64(OpenEs<f64, SharedVec<f64>>),
}

/// Runs `$body` with `$opt` bound to the engine's optimizer, whatever its
/// rule and dtype (the body is compiled once per variant, so it may call
/// generic functions).
macro_rules! with_engine {
    ($engine:expr, |$opt:ident| $body:expr) => {
        match $engine {
            $crate::engine::Engine::WpF32($opt) => $body,
            $crate::engine::Engine::WpF64($opt) => $body,
            $crate::engine::Engine::D1F32($opt) => $body,
            $crate::engine::Engine::D1F64($opt) => $body,
            $crate::engine::Engine::D2F32($opt) => $body,
            $crate::engine::Engine::D2F64($opt) => $body,
            $crate::engine::Engine::OesF32($opt) => $body,
            $crate::engine::Engine::OesF64($opt) => $body,
        }
    };
}
pub(crate) use with_engine;

impl Engine {
    /// The rule.
    pub(crate) fn rule_kind(&self) -> RuleKind {
        match self {
            Engine::WpF32(_) | Engine::WpF64(_) => RuleKind::Wp,
            Engine::D1F32(_) | Engine::D1F64(_) => RuleKind::Dopamine1,
            Engine::D2F32(_) | Engine::D2F64(_) => RuleKind::Dopamine2,
            Engine::OesF32(_) | Engine::OesF64(_) => RuleKind::OpenEs,
        }
    }

    /// The dtype.
    pub(crate) fn dtype(&self) -> Dtype {
        match self {
            Engine::WpF32(_) | Engine::D1F32(_) | Engine::D2F32(_) | Engine::OesF32(_) => {
                Dtype::F32
            }
            Engine::WpF64(_) | Engine::D1F64(_) | Engine::D2F64(_) | Engine::OesF64(_) => {
                Dtype::F64
            }
        }
    }
}

/// SNES in one dtype, its per-parameter `sigma` a [`SharedVec`] the binding
/// owns. Pickled on its own (not an [`Engine`]: SNES is not a perturbation
/// optimizer and has no one-point interface).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum SnesEngine {
    /// SNES on `f32`.
    F32(Snes<f32, SharedVec<f32>>),
    /// SNES on `f64`.
    F64(Snes<f64, SharedVec<f64>>),
}

/// Runs `$body` with `$opt` bound to the SNES optimizer, whatever its dtype.
macro_rules! with_snes {
    ($engine:expr, |$opt:ident| $body:expr) => {
        match $engine {
            $crate::engine::SnesEngine::F32($opt) => $body,
            $crate::engine::SnesEngine::F64($opt) => $body,
        }
    };
}
pub(crate) use with_snes;

impl SnesEngine {
    /// The dtype.
    pub(crate) fn dtype(&self) -> Dtype {
        match self {
            SnesEngine::F32(_) => Dtype::F32,
            SnesEngine::F64(_) => Dtype::F64,
        }
    }
}
