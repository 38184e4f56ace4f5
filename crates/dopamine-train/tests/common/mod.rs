//! Shared helpers of the checkpoint tests: an XOR MLP objective, the eight built-in optimizers, and record comparison without wall time.

#![allow(dead_code)]

use dopamine_nets::{Activation, Loss, Mlp, WeightInit};
use dopamine_train::{
    AdamSettings, Dopamine1Settings, Dopamine2Settings, Dopamine3Settings, MlpObjective,
    OpenEsSettings, Optimizer, OptimizerSpec, PerturbSpec, Record, SgdSettings, SnesSettings,
    WpSettings,
};
use faer::Mat;

/// XOR on an MLP 2-4-1 (17 parameters), Xavier weights from `seed`.
pub fn xor_objective(seed: u64) -> MlpObjective<f64> {
    let data = dopamine_tasks::xor();
    let to_mat = |s: &dopamine_tasks::Series| Mat::from_fn(s.len(), s.dim(), |i, j| s.row(i)[j]);
    let net = Mlp::new(
        &[2, 4, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Xavier,
        seed,
    )
    .expect("valid MLP");
    MlpObjective::new(net, to_mat(&data.inputs), to_mat(&data.targets), Loss::Mse)
        .expect("valid shapes")
}

/// Perturbation settings used by the tests (cosine schedule, so the step
/// counter matters).
pub fn perturb() -> PerturbSpec {
    PerturbSpec {
        sigma: 1e-2,
        eta: 0.5,
        probes: 2,
        antithetic: false,
        cosine_to: Some(0.1),
        ..Default::default()
    }
}

/// One spec of every kind.
pub fn all_specs() -> Vec<OptimizerSpec> {
    vec![
        OptimizerSpec::Wp(WpSettings::from(perturb())),
        OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(), 0.9)),
        OptimizerSpec::Dopamine2(Dopamine2Settings::new(perturb(), 0.9, 0.5)),
        OptimizerSpec::Sgd(SgdSettings {
            lr: 0.5,
            momentum: 0.9,
        }),
        OptimizerSpec::Adam(AdamSettings { lr: 0.05 }),
        OptimizerSpec::OpenEs(OpenEsSettings {
            sigma: 0.05,
            eta: 0.05,
            pairs: 3,
            cosine_to: Some(0.1),
            ..Default::default()
        }),
        OptimizerSpec::Snes(SnesSettings {
            sigma: 0.1,
            eta: 1.0,
            population: Some(8),
            ..Default::default()
        }),
        // On the MLP a step is one sweep over the 4 patterns.
        OptimizerSpec::Dopamine3(Dopamine3Settings {
            sigma: 0.05,
            eta: 0.05,
            update_every: 2,
            ..Default::default()
        }),
    ]
}

/// `spec` built for `dim` parameters in `f64`, seed 11, `steps` steps.
pub fn build(spec: OptimizerSpec, dim: usize, steps: u64) -> Box<dyn Optimizer<f64>> {
    spec.build(dim, 11, steps).expect("valid spec")
}

/// A record's fields as bits, wall time left out (a resumed run continues
/// its clock from the checkpoint, so seconds cannot be bit-identical).
pub fn record_bits(r: &Record) -> [u64; 10] {
    [
        r.step,
        r.loss.to_bits(),
        r.effective_eta.to_bits(),
        r.last_delta.to_bits(),
        r.expected_rpe.to_bits(),
        r.surprise_size.to_bits(),
        r.rejected_steps,
        r.forward_passes,
        r.backward_passes,
        r.flops,
    ]
}

/// Parameters as bits.
pub fn param_bits(p: &[f64]) -> Vec<u64> {
    p.iter().map(|x| x.to_bits()).collect()
}

/// Asserts two runs' records are equal bit for bit, wall time excepted.
pub fn assert_same_records(a: &[Record], b: &[Record], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: record counts");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(record_bits(x), record_bits(y), "{what}: step {}", x.step);
    }
}
