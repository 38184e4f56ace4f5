//! [`SpecOptions`]: settings of a built-in optimizer kept beside its spec (low rank, no baseline, second moment, Adam's `beta1`, the gradient methods' online updates), and the check that refuses those that do not fit.

use serde::{Deserialize, Serialize};

use crate::error::SpecError;

/// Settings of a built-in optimizer beyond its [`crate::OptimizerSpec`]:
/// the probe structure, the antithetic step without a baseline, Dopamine's
/// second moment, Adam's `beta1` and the gradient methods' online
/// updates. Kept apart from the spec so that a
/// tuning grid can vary them on their own; [`crate::OptimizerSpec::build_with`]
/// applies them and refuses those that do not fit the optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecOptions {
    /// Low-rank probes of this rank on the objective's layout
    /// ([`crate::Objective::param_layout`]); perturbation rules and OpenES.
    #[serde(default)]
    pub rank: Option<usize>,
    /// With antithetic RPE, skip the baseline evaluation: the safety net
    /// works from the probes' losses and a step costs exactly `2K` passes
    /// ([`dopamine_core::BaselinePolicy::FromProbes`]); perturbation rules only.
    #[serde(default)]
    pub baseline_from_probes: bool,
    /// Per-synapse second-moment normalisation of the coded update with
    /// this `beta2` (Dopamine-1 and Dopamine-2 only).
    #[serde(default)]
    pub second_moment: Option<f64>,
    /// Adam's first-moment factor (Adam only; none: 0.9).
    #[serde(default)]
    pub beta1: Option<f64>,
    /// SGD and Adam online: truncated BPTT with an update every this many
    /// time steps of the training sequence, the hidden state carried over
    /// block boundaries ([`crate::OnlineGradient`]; the RNN objective).
    /// None: one update per pass over the sequence.
    #[serde(default)]
    pub online_every: Option<u32>,
}

/// Which options an optimizer takes (see [`SpecOptions::check_allowed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allowed {
    /// `rank`: the optimizer has probes.
    pub rank: bool,
    /// `baseline_from_probes`: a perturbation rule with antithetic RPE.
    pub baseline_from_probes: bool,
    /// `second_moment`: the Dopamine rules.
    pub second_moment: bool,
    /// `beta1`: Adam.
    pub beta1: bool,
    /// `online_every`: the gradient methods.
    pub online_every: bool,
}

impl Allowed {
    /// No option.
    pub const NONE: Allowed = Allowed {
        rank: false,
        baseline_from_probes: false,
        second_moment: false,
        beta1: false,
        online_every: false,
    };

    /// Whether the option named `field` (a field of [`SpecOptions`]) is
    /// allowed; `false` for any other name.
    pub fn allows(&self, field: &str) -> bool {
        match field {
            "rank" => self.rank,
            "baseline_from_probes" => self.baseline_from_probes,
            "second_moment" => self.second_moment,
            "beta1" => self.beta1,
            "online_every" => self.online_every,
            _ => false,
        }
    }
}

impl SpecOptions {
    /// `true` when no option is set.
    pub fn is_default(&self) -> bool {
        *self == SpecOptions::default()
    }

    /// The options in a few words, for reports (empty when none is set).
    pub fn describe(&self) -> String {
        let mut d = Vec::new();
        if let Some(r) = self.rank {
            d.push(format!("rank={r}"));
        }
        if self.baseline_from_probes {
            d.push("no-baseline".to_string());
        }
        if let Some(b) = self.second_moment {
            d.push(format!("second-moment beta2={b}"));
        }
        if let Some(b) = self.beta1 {
            d.push(format!("beta1={b}"));
        }
        if let Some(c) = self.online_every {
            d.push(format!("online C={c}"));
        }
        d.join(" ")
    }

    /// Refuses the options `allowed` does not allow for the optimizer
    /// named `kind`, naming the field.
    pub fn check_allowed(&self, kind: &str, allowed: Allowed) -> Result<(), SpecError> {
        if self.rank.is_some() && !allowed.rank {
            return Err(SpecError::new(
                "rank",
                format!("{kind} has no probes to make low-rank"),
            ));
        }
        if self.rank == Some(0) {
            return Err(SpecError::new("rank", "must be >= 1"));
        }
        if self.baseline_from_probes && !allowed.baseline_from_probes {
            return Err(SpecError::new(
                "baseline_from_probes",
                format!("needs a perturbation rule with antithetic RPE, not {kind}"),
            ));
        }
        if self.second_moment.is_some() && !allowed.second_moment {
            return Err(SpecError::new(
                "second_moment",
                format!("is an option of Dopamine-1 and Dopamine-2, not {kind}"),
            ));
        }
        if self.beta1.is_some() && !allowed.beta1 {
            return Err(SpecError::new(
                "beta1",
                format!("is an option of Adam, not {kind}"),
            ));
        }
        if self.online_every.is_some() && !allowed.online_every {
            return Err(SpecError::new(
                "online_every",
                format!("is an option of SGD and Adam, not {kind}"),
            ));
        }
        if self.online_every == Some(0) {
            return Err(SpecError::new("online_every", "must be >= 1"));
        }
        Ok(())
    }
}
