//! [`MlpObjective`]: a `dopamine-nets` MLP on a fixed (full) batch.

use dopamine_core::{ParamLayout, Plan};
use dopamine_nets::{
    Loss, Mlp, MlpNodeWorkspace, MlpPopulationWorkspace, MlpWorkspace, NetError, Scalar,
};
use faer::{Mat, MatRef};

use crate::error::TrainError;
use crate::node_model::{NodeModel, NodePart, NodeRule, NodeStream};
use crate::objective::{Objective, PassCost, PlanScratch};

/// An MLP on a fixed (full) batch.
#[derive(Clone)]
pub struct MlpObjective<T: Scalar> {
    net: Mlp<T>,
    inputs: Mat<T>,
    targets: Mat<T>,
    loss: Loss,
    ws: MlpWorkspace<T>,
    population_ws: Option<MlpPopulationWorkspace<T>>,
    prefers_population: bool,
    node_ws: Option<MlpNodeWorkspace<T>>,
}

impl<T: Scalar> MlpObjective<T> {
    /// Checks the shapes once; later evaluations allocate nothing.
    pub fn new(net: Mlp<T>, inputs: Mat<T>, targets: Mat<T>, loss: Loss) -> Result<Self, NetError> {
        let mut ws = MlpWorkspace::new(&net, inputs.nrows());
        net.loss(inputs.as_ref(), targets.as_ref(), loss, &mut ws)?;
        Ok(Self {
            net,
            inputs,
            targets,
            loss,
            ws,
            population_ws: None,
            prefers_population: false,
            node_ws: None,
        })
    }

    /// Asks the trainer to run population steps on this objective: every
    /// point of a step evaluated together by [`Mlp::plan_losses`] (the
    /// batch of every point in one product per layer). Off by default.
    #[must_use]
    pub fn with_population(mut self, on: bool) -> Self {
        self.prefers_population = on;
        self
    }

    /// The network.
    pub fn net(&self) -> &Mlp<T> {
        &self.net
    }

    /// The network's outputs on the batch, one row per sample, in the
    /// workspace (no allocation); `None` if the forward pass fails.
    pub fn outputs(&mut self) -> Option<MatRef<'_, T>> {
        self.net.forward(self.inputs.as_ref(), &mut self.ws).ok()
    }
}

impl<T: Scalar> Objective<T> for MlpObjective<T> {
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
                self.loss,
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
                self.loss,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    /// A perturbation step's points with [`Mlp::plan_losses`] (low rank:
    /// one batch for the whole population); any other population's
    /// (SNES's, full rank) point by point, as the full-rank sweep does.
    fn evaluate_plan(
        &mut self,
        plan: &Plan<'_, T>,
        params: &[T],
        losses: &mut [T],
        scratch: &mut PlanScratch<T>,
    ) -> Result<(), TrainError> {
        let Plan::Perturbation(p) = plan else {
            use dopamine_core::Population;
            let (base, point) = scratch.buffers(params);
            for (e, loss) in losses.iter_mut().enumerate() {
                plan.build_point(e, base, point)?;
                *loss = self.loss_at(point);
            }
            return Ok(());
        };
        let net = &self.net;
        let ws = self
            .population_ws
            .get_or_insert_with(|| MlpPopulationWorkspace::new(net));
        net.plan_losses(
            params,
            p,
            self.inputs.as_ref(),
            self.targets.as_ref(),
            self.loss,
            ws,
            losses,
        )?;
        Ok(())
    }
    fn prefers_population(&self) -> bool {
        self.prefers_population
    }
    /// The network's neurons: Dopamine-3 sweeps over the batch, one
    /// pattern per time step ([`Mlp::node_sweep`]).
    fn node_model(&mut self) -> Result<&mut dyn NodeModel<T>, TrainError> {
        Ok(self)
    }
    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
        Some(
            self.net
                .loss_and_gradient(
                    self.inputs.as_ref(),
                    self.targets.as_ref(),
                    self.loss,
                    &mut self.ws,
                    grad,
                )
                .unwrap_or(T::from_f64(f64::NAN)),
        )
    }
    /// [`Mlp::param_layout`] (`None` when the network refuses the rank).
    fn param_layout(&self, rank: usize) -> Option<ParamLayout> {
        self.net.param_layout(rank).ok()
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.loss);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}

impl<T: Scalar> NodeModel<T> for MlpObjective<T> {
    fn node_layout(&self) -> Result<dopamine_core::NodeLayout, TrainError> {
        Ok(self.net.node_layout()?)
    }
    fn sweep_len(&self) -> usize {
        self.inputs.nrows()
    }
    fn hidden_len(&self) -> usize {
        0
    }
    /// A whole sweep over the batch ([`Mlp::node_sweep`]): a feed-forward
    /// network carries nothing from one pattern to the next, so the sweep
    /// is not cut (`max_steps` is not used).
    fn node_part(
        &mut self,
        rule: &mut NodeRule<T>,
        stream: &mut NodeStream<T>,
        _max_steps: usize,
    ) -> Result<NodePart<T>, TrainError> {
        let Self {
            net,
            inputs,
            targets,
            loss,
            node_ws,
            ..
        } = self;
        let ws = node_ws.get_or_insert_with(|| MlpNodeWorkspace::new(net));
        let sweep = net.node_sweep(rule, inputs.as_ref(), targets.as_ref(), *loss, ws)?;
        stream.position = 0;
        Ok(NodePart {
            sweep,
            loss: Some(sweep.loss(rule.config().noise).to_f64()),
            ended_sweep: true,
        })
    }
}
