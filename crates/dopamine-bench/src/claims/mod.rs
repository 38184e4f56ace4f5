//! The paper's claims C1-C3, robustness to settings, and the code that turns measurements into verdicts.

mod c1;
mod c2;
mod c3;
mod evidence;
mod list;
mod measures;
mod robustness;
mod verdict;

#[cfg(test)]
mod tests;

pub use c1::c1;
pub use c2::c2;
pub use c3::c3;
pub use evidence::Evidence;
pub use list::CLAIMS;
pub use measures::{
    DOPAMINE, GRADIENT, PEERS, compute_to_accuracy, final_loss, passes_to_threshold, test_nrmse,
    wall_nrmse,
};
pub use robustness::Robustness;
pub use verdict::{Check, Claim, Verdict};
