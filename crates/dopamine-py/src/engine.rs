//! The optimizer behind a Python object as one value: [`Engine`], a [`Kernel`] in `f32` or `f64`, and [`with_kernel!`], which runs generic code on whichever it is; [`Float`] (the dtypes), [`SharedVec`] (per-parameter state shared copy-on-write) and [`Scratch`] (a population `ask`'s reused buffer).

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kernel::Kernel;

/// A float type the bindings accept: `f32` or `f64`, a training-library
/// [`dopamine_train::Float`] and a numpy element.
pub(crate) trait Float: dopamine_train::Float + numpy::Element {
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
/// that a rule keeps, owned by the binding and shared copy-on-write: the
/// storage of per-parameter state the bindings choose for the registry's
/// entries (Dopamine-2's eligibility trace, OpenES's moments, the second
/// moment).
///
/// Cloning it is cheap (a reference count), and the values are copied only
/// if they are written while another clone is alive. `step` keeps a clone of
/// the optimizer from before each exchange, to take it back if the Python
/// loss function raises; the vector is never written while points are asked,
/// and the clone is dropped before the `tell` that may update it, so the
/// snapshot costs no copy. Serialized as a plain vector (the bytes of a
/// `Vec`).
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

    /// The dtype called `name` (`float32`, `float64`).
    pub(crate) fn from_name(name: &str) -> Option<Dtype> {
        match name {
            "float32" => Some(Dtype::F32),
            "float64" => Some(Dtype::F64),
            _ => None,
        }
    }
}

/// The optimizer of a Python object: any registry entry's, in either dtype.
pub(crate) enum Engine {
    /// In `f32`.
    F32(Box<dyn Kernel<f32>>),
    /// In `f64`.
    F64(Box<dyn Kernel<f64>>),
}

/// Runs `$body` with `$kernel` bound to the engine's kernel (a
/// `&Box<dyn Kernel<T>>` or `&mut Box<dyn Kernel<T>>`), whatever its dtype
/// (the body is compiled once per dtype, so it may call generic functions).
macro_rules! with_kernel {
    ($engine:expr, |$kernel:ident| $body:expr) => {
        match $engine {
            $crate::engine::Engine::F32($kernel) => $body,
            $crate::engine::Engine::F64($kernel) => $body,
        }
    };
}
pub(crate) use with_kernel;

impl Engine {
    /// The dtype.
    pub(crate) fn dtype(&self) -> Dtype {
        match self {
            Engine::F32(_) => Dtype::F32,
            Engine::F64(_) => Dtype::F64,
        }
    }
}
