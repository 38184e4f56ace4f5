//! The perturbation rules: WP, Dopamine-1, Dopamine-2 and OpenES, with the RPE statistics and the second-moment normalisation the Dopamine rules share.

pub mod dopamine1;
pub mod dopamine2;
pub mod open_es;
pub mod rpe_stats;
pub mod second_moment;
pub mod wp;
