//! [`RnnObjective`]: a `dopamine-nets` Elman RNN on one teacher-forced training sequence, with a washout.

use dopamine_core::{ParamLayout, Plan};
use dopamine_nets::{
    Bptt, NetError, Rnn, RnnGradWorkspace, RnnPopulationWorkspace, RnnWorkspace, Scalar,
};
use faer::Mat;

use crate::error::TrainError;
use crate::objective::{Objective, PassCost, PlanScratch};

/// An Elman RNN on one teacher-forced training sequence, with a washout.
#[derive(Clone)]
pub struct RnnObjective<T: Scalar> {
    net: Rnn<T>,
    inputs: Mat<T>,
    targets: Mat<T>,
    washout: usize,
    bptt: Bptt,
    ws: RnnWorkspace<T>,
    grad_ws: Option<RnnGradWorkspace<T>>,
    population_ws: Option<RnnPopulationWorkspace<T>>,
    prefers_population: bool,
}

impl<T: Scalar> RnnObjective<T> {
    /// Checks the shapes once. The BPTT workspace is built on the first
    /// gradient request, so a perturbation-trained run never holds it.
    pub fn new(
        net: Rnn<T>,
        inputs: Mat<T>,
        targets: Mat<T>,
        washout: usize,
        bptt: Bptt,
    ) -> Result<Self, NetError> {
        let mut ws = RnnWorkspace::new(&net);
        net.loss(inputs.as_ref(), targets.as_ref(), washout, &mut ws)?;
        Ok(Self {
            net,
            inputs,
            targets,
            washout,
            bptt,
            ws,
            grad_ws: None,
            population_ws: None,
            prefers_population: false,
        })
    }

    /// Asks the trainer to run population steps on this objective: every
    /// point of a step evaluated together by [`Rnn::plan_losses`] (one
    /// sweep over the sequence for the whole population). Worth it with
    /// several probes per step, and with low-rank noise on the layout of
    /// [`Rnn::param_layout`]; with full-rank noise the points advance in
    /// lockstep and their losses are bit for bit those of one-by-one
    /// evaluation. Off by default.
    #[must_use]
    pub fn with_population(mut self, on: bool) -> Self {
        self.prefers_population = on;
        self
    }

    /// The network.
    pub fn net(&self) -> &Rnn<T> {
        &self.net
    }
}

impl<T: Scalar> Objective<T> for RnnObjective<T> {
    fn params(&self) -> &[T] {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut [T] {
        self.net.params_mut()
    }
    fn loss(&mut self) -> T {
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    fn loss_at(&mut self, params: &[T]) -> T {
        self.net
            .loss_at(
                params,
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    /// A perturbation step's points with [`Rnn::plan_losses`] (low rank:
    /// one sweep over the sequence for the whole population; full rank: in
    /// lockstep), any other population's (SNES's) in lockstep with
    /// [`Rnn::population_losses`]; every full-rank loss is bit for bit
    /// [`Objective::loss_at`]'s.
    fn evaluate_plan(
        &mut self,
        plan: &Plan<'_, T>,
        params: &[T],
        losses: &mut [T],
        _scratch: &mut PlanScratch<T>,
    ) -> Result<(), TrainError> {
        let net = &self.net;
        let ws = self
            .population_ws
            .get_or_insert_with(|| RnnPopulationWorkspace::new(net));
        let (inputs, targets) = (self.inputs.as_ref(), self.targets.as_ref());
        match plan {
            Plan::Perturbation(p) => {
                net.plan_losses(params, p, inputs, targets, self.washout, ws, losses)?
            }
            other => {
                net.population_losses(params, other, inputs, targets, self.washout, ws, losses)?
            }
        }
        Ok(())
    }
    fn prefers_population(&self) -> bool {
        self.prefers_population
    }
    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
        let net = &self.net;
        let ws = self
            .grad_ws
            .get_or_insert_with(|| RnnGradWorkspace::new(net, self.inputs.nrows(), self.bptt));
        Some(
            self.net
                .loss_and_gradient(
                    self.inputs.as_ref(),
                    self.targets.as_ref(),
                    self.washout,
                    self.bptt,
                    ws,
                    grad,
                )
                .unwrap_or(T::from_f64(f64::NAN)),
        )
    }
    /// [`Rnn::param_layout`].
    fn param_layout(&self, rank: usize) -> Option<ParamLayout> {
        Some(self.net.param_layout(rank))
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.washout, self.bptt);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}
