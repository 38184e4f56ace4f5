//! The registry of built-in optimizers: one file per optimizer (its settings struct and [`OptimizerEntry`]), and the list below, from which [`OptimizerSpec`] and [`OptimizerKind`] are written.
//!
//! Adding an optimizer: its settings struct and `OptimizerEntry` in a file
//! of this folder, and one line in the list (its Python class comes with it).

mod config;
mod entry;
mod options;
mod perturb;
mod python;
mod sink;
mod spec;
mod views;

pub use dopamine3::{Copies, NodeSignal};
pub use entry::{BuildContext, Family, OptimizerEntry, check_renamed};
pub use options::{Allowed, SpecOptions};
pub use perturb::{Noise, PerturbSpec};
pub use python::{EntryVisitor, Python, field_names, schema};
pub use sink::{Boxed, BuiltOptimizer, BuiltRule, Sink, StateVector};
pub use views::{StateViews, View, ViewInfo, ViewKind};

use dopamine_core::ParamLayout;

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use spec::optimizer_list;

optimizer_list! {
    Wp: wp::WpSettings,
    OpenEs: open_es::OpenEsSettings,
    Snes: snes::SnesSettings,
    Dopamine1: dopamine1::Dopamine1Settings,
    Dopamine2: dopamine2::Dopamine2Settings,
    Dopamine3: dopamine3::Dopamine3Settings,
    Sgd: sgd::SgdSettings,
    Adam: adam::AdamSettings,
}
