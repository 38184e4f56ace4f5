//! The perturbation rules: WP, Dopamine-1 and Dopamine-2.

pub mod dopamine1;
pub mod dopamine2;
pub mod rpe_stats;
pub mod wp;
