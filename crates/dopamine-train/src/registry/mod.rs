//! The registry of built-in optimizers: one file per optimizer (its settings struct and [`OptimizerEntry`]), and the list below, from which [`OptimizerSpec`] and [`OptimizerKind`] are written.
//!
//! Adding an optimizer: its settings struct and `OptimizerEntry` in a file
//! of this folder, and one line in the list.

mod config;
mod entry;
mod options;
mod perturb;
mod spec;

pub use entry::{BuildContext, Family, OptimizerEntry, check_renamed};
pub use options::{Allowed, SpecOptions};
pub use perturb::{Noise, PerturbSpec};

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
    Sgd: sgd::SgdSettings,
    Adam: adam::AdamSettings,
}
