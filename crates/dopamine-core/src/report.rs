//! What a step reports: [`StepReport`] (with [`RpeReport`] and [`CodingReport`] only for the methods that have them), [`Told`], [`StepOutcome`], [`Rejection`] and the work [`Counters`].
//!
//! Every population method ([`crate::PerturbationOptimizer`] with any rule,
//! [`crate::Snes`]) reports a step the same way. Fields a method does not
//! have are `None`, never zero: SNES has no RPE (`rpe` is `None`), and only
//! the Dopamine rules code their RPEs against running statistics (`coding`
//! is `None` for WP, OpenES and SNES).
//!
//! **Wire form.** With the `serde` feature a report is written as the flat
//! record of release 0.2.0 (`step`, `baseline_loss`, `mean_delta`,
//! `last_delta`, `eta`, then `signal`: `effective_eta`, `expected_rpe`,
//! `surprise_size`, `applied`), so an optimizer's state keeps its bytes
//! across releases; a value the method does not report is written as NaN
//! and read back as `None` (a reported value is always finite: reports are
//! made only for applied updates). Human-readable formats, which cannot
//! write NaN (JSON writes `null`), read `null` back as `None` too.

#[cfg(feature = "serde")]
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a step was rejected; in every case the parameters are back where the
/// rejected step began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Rejection {
    /// The loss right after an update was not finite: the update was undone.
    UpdateUndone,
    /// The loss at the unperturbed parameters was not finite and there was no
    /// update to undo: the parameters the caller handed in already diverge.
    NonFiniteBaseline,
    /// A probe's loss was not finite: the probe was restored and the step
    /// abandoned without an update.
    NonFiniteProbe,
    /// The update would have taken a weight too close to the largest finite
    /// value (see [`crate::step_noise::weight_limit`]), or was too large
    /// against the weights to be undone ([`crate::step_noise::undo_limit`]),
    /// and was skipped; nothing was written.
    UpdateTooLarge,
}

/// The reward prediction errors of a step (the perturbation rules: WP, the
/// Dopamine rules, OpenES).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct RpeReport<T> {
    /// Mean RPE of the step's probes.
    pub mean_delta: T,
    /// The RPE of the last probe.
    pub last_delta: T,
}

/// The running statistics a rule codes its RPEs against (the Dopamine
/// rules' adaptive coding), after the step.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct CodingReport<T> {
    /// The expected RPE `b`.
    pub expected_rpe: T,
    /// The typical size of the surprise, `sqrt(v)`.
    pub surprise_size: T,
}

/// What one update did, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport<T> {
    /// Index of the step (from 0).
    pub step: u64,
    /// Loss at the unperturbed parameters before the update, `L0`. With
    /// [`crate::BaselinePolicy::FromProbes`] the estimate
    /// `mean_k (L(w + sigma z_k) + L(w - sigma z_k)) / 2`; for SNES the mean
    /// of the step's losses.
    pub baseline_loss: T,
    /// Scheduled learning rate of the step (SNES: `eta_mu`).
    pub eta: T,
    /// The step's learning rate in WP units (see
    /// [`crate::RuleSignal::effective_eta`]; SNES: `eta_mu`).
    pub effective_eta: T,
    /// The step's RPEs; `None` for a method without RPE (SNES).
    pub rpe: Option<RpeReport<T>>,
    /// The RPE statistics after the step; `None` for a rule that does not
    /// code its RPEs (WP, OpenES) and for SNES.
    pub coding: Option<CodingReport<T>>,
}

/// The outcome of `tell`. Marked `#[must_use]`: a rejected step is reported
/// here and nowhere else.
#[must_use = "a rejected step (non-finite loss) is reported only through this value"]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Told<T> {
    /// The baseline loss was recorded; probes follow (never returned with
    /// [`crate::BaselinePolicy::FromProbes`]).
    Baseline {
        /// The loss.
        loss: T,
    },
    /// A probe was recorded and the parameters restored; more probes follow.
    Probed,
    /// The step is complete and the parameters were updated.
    Updated(StepReport<T>),
    /// The step was rejected; the parameters are where it began.
    Rejected(Rejection),
}

/// The outcome of a whole step (`step`, `tell_all`).
#[must_use = "a rejected step (non-finite loss) is reported only through this value"]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome<T> {
    /// The parameters were updated.
    Updated(StepReport<T>),
    /// The step was rejected; the parameters are where it began.
    Rejected(Rejection),
}

impl<T> StepOutcome<T> {
    /// The report of an applied update; `None` for a rejected step.
    pub fn report(&self) -> Option<&StepReport<T>> {
        match self {
            StepOutcome::Updated(r) => Some(r),
            StepOutcome::Rejected(_) => None,
        }
    }

    /// Why the step was rejected; `None` when it updated.
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            StepOutcome::Updated(_) => None,
            StepOutcome::Rejected(why) => Some(*why),
        }
    }
}

/// Counters of the work done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Counters {
    /// Loss evaluations received by `tell` and `tell_all`.
    pub forward_passes: u64,
    /// Updates applied (including ones later undone).
    pub updates: u64,
    /// Updates undone because the loss after them was not finite.
    pub undone_updates: u64,
    /// Steps abandoned because a probe's loss was not finite.
    pub rejected_probes: u64,
    /// Baseline losses that were not finite with nothing to undo.
    pub non_finite_baselines: u64,
    /// Updates skipped because they would have overflowed.
    pub skipped_updates: u64,
    /// Rejections since the last accepted baseline (or first probe); a
    /// caller stops a run when this grows past its patience.
    pub consecutive_rejections: u64,
}

/// The flat wire form of a [`StepReport`] (see the module docs).
#[cfg(feature = "serde")]
#[derive(Serialize, Deserialize)]
#[serde(
    rename = "StepReport",
    bound(deserialize = "T: Real + Deserialize<'de>")
)]
struct WireReport<T> {
    step: u64,
    baseline_loss: T,
    #[serde(deserialize_with = "nan_or_null")]
    mean_delta: T,
    #[serde(deserialize_with = "nan_or_null")]
    last_delta: T,
    eta: T,
    signal: WireSignal<T>,
}

#[cfg(feature = "serde")]
#[derive(Serialize, Deserialize)]
#[serde(
    rename = "RuleSignal",
    bound(deserialize = "T: Real + Deserialize<'de>")
)]
struct WireSignal<T> {
    effective_eta: T,
    #[serde(deserialize_with = "nan_or_null")]
    expected_rpe: T,
    #[serde(deserialize_with = "nan_or_null")]
    surprise_size: T,
    applied: bool,
}

/// Reads a value that may be absent (written as NaN). Binary formats carry
/// the NaN itself; human-readable ones such as JSON cannot write NaN and
/// write `null` instead, which is read back as NaN.
#[cfg(feature = "serde")]
fn nan_or_null<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Real + Deserialize<'de>,
{
    if deserializer.is_human_readable() {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or(T::from_f64(f64::NAN)))
    } else {
        T::deserialize(deserializer)
    }
}

#[cfg(feature = "serde")]
impl<T: Real + Serialize> Serialize for StepReport<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let nan = T::from_f64(f64::NAN);
        let rpe = self.rpe.unwrap_or(RpeReport {
            mean_delta: nan,
            last_delta: nan,
        });
        let coding = self.coding.unwrap_or(CodingReport {
            expected_rpe: nan,
            surprise_size: nan,
        });
        WireReport {
            step: self.step,
            baseline_loss: self.baseline_loss,
            mean_delta: rpe.mean_delta,
            last_delta: rpe.last_delta,
            eta: self.eta,
            signal: WireSignal {
                effective_eta: self.effective_eta,
                expected_rpe: coding.expected_rpe,
                surprise_size: coding.surprise_size,
                applied: true,
            },
        }
        .serialize(serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: Real + Deserialize<'de>> Deserialize<'de> for StepReport<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = WireReport::<T>::deserialize(deserializer)?;
        let reported = |a: T, b: T| !(a.to_f64().is_nan() && b.to_f64().is_nan());
        Ok(StepReport {
            step: w.step,
            baseline_loss: w.baseline_loss,
            eta: w.eta,
            effective_eta: w.signal.effective_eta,
            rpe: reported(w.mean_delta, w.last_delta).then_some(RpeReport {
                mean_delta: w.mean_delta,
                last_delta: w.last_delta,
            }),
            coding: reported(w.signal.expected_rpe, w.signal.surprise_size).then_some(
                CodingReport {
                    expected_rpe: w.signal.expected_rpe,
                    surprise_size: w.signal.surprise_size,
                },
            ),
        })
    }
}
