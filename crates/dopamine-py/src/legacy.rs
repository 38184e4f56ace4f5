//! Pickles of release 0.2.0 (magic `DOPY` for the perturbation optimizers, `DOPS` for SNES, format version 1, the kernel's optimizer in bincode 2, no checksum): read into their optimizer, whose settings become a registry entry's and whose state loads into the optimizer the registry builds from them (the same bytes).

use dopamine_core::{
    BaselinePolicy, Block, Dopamine1, Dopamine2, EtaSchedule, NoiseKind, OpenEs, PerturbConfig,
    PerturbationOptimizer, Real, RpeMode, Snes, Wp,
};
use dopamine_train::{
    Dopamine1Settings, Dopamine2Settings, Noise, OpenEsSettings, OptimizerSpec, PerturbSpec,
    SnesSettings, SpecOptions, WpSettings, encode_state,
};
use serde::{Deserialize, Serialize};

use crate::engine::{Dtype, Float};
use crate::settings::Settings;

/// The first bytes of a 0.2.0 pickle of a perturbation optimizer (WP, the
/// Dopamine rules, OpenES).
const MAGIC: &[u8; 4] = b"DOPY";
/// The first bytes of a 0.2.0 pickle of SNES.
const MAGIC_SNES: &[u8; 4] = b"DOPS";
/// The format version of 0.2.0 pickles.
const VERSION: u8 = 1;

/// The engine of a 0.2.0 perturbation optimizer, variant for variant (its
/// per-parameter state was a shared vector, serialized as a `Vec`).
#[derive(Deserialize)]
enum Engine {
    WpF32(Wp<f32>),
    WpF64(Wp<f64>),
    D1F32(Dopamine1<f32>),
    D1F64(Dopamine1<f64>),
    D2F32(Dopamine2<f32, Vec<f32>>),
    D2F64(Dopamine2<f64, Vec<f64>>),
    OesF32(OpenEs<f32, Vec<f32>>),
    OesF64(OpenEs<f64, Vec<f64>>),
}

/// The engine of a 0.2.0 SNES.
#[derive(Deserialize)]
enum SnesEngine {
    F32(Snes<f32, Vec<f32>>),
    F64(Snes<f64, Vec<f64>>),
}

/// `true` for the bytes of a 0.2.0 pickle.
pub(crate) fn is_legacy(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC) || bytes.starts_with(MAGIC_SNES)
}

/// A 0.2.0 pickle's settings (as a registry entry's) and its optimizer's
/// state (in the current format).
pub(crate) fn decode(bytes: &[u8]) -> Result<(Settings, Vec<u8>), String> {
    let Some((&version, payload)) = bytes[MAGIC.len()..].split_first() else {
        return Err("truncated".into());
    };
    if version != VERSION {
        return Err(format!(
            "format version {version}, this build reads version {VERSION}"
        ));
    }
    if bytes.starts_with(MAGIC_SNES) {
        return match payload_of(payload)? {
            SnesEngine::F32(o) => snes(&o, Dtype::F32),
            SnesEngine::F64(o) => snes(&o, Dtype::F64),
        };
    }
    let coding = |c: &dopamine_core::AdaptiveCoding<f64>| (c.beta, c.eps, c.bias_correction);
    match payload_of(payload)? {
        Engine::WpF32(o) => perturbation(&o, Dtype::F32, |p| wp(p, o.rule())),
        Engine::WpF64(o) => perturbation(&o, Dtype::F64, |p| wp(p, o.rule())),
        Engine::D1F32(o) => perturbation(&o, Dtype::F32, |p| {
            let (beta, eps, bias_correction) = coding(&widen(o.rule().stats().coding()));
            Dopamine1Settings {
                eps,
                bias_correction,
                ..Dopamine1Settings::new(p, beta)
            }
            .into()
        }),
        Engine::D1F64(o) => perturbation(&o, Dtype::F64, |p| {
            let (beta, eps, bias_correction) = coding(&widen(o.rule().stats().coding()));
            Dopamine1Settings {
                eps,
                bias_correction,
                ..Dopamine1Settings::new(p, beta)
            }
            .into()
        }),
        Engine::D2F32(o) => perturbation(&o, Dtype::F32, |p| {
            let (beta, eps, bias_correction) = coding(&widen(o.rule().stats().coding()));
            let lambda = o.rule().lambda().to_f64();
            Dopamine2Settings {
                eps,
                bias_correction,
                ..Dopamine2Settings::new(p, beta, lambda)
            }
            .into()
        }),
        Engine::D2F64(o) => perturbation(&o, Dtype::F64, |p| {
            let (beta, eps, bias_correction) = coding(&widen(o.rule().stats().coding()));
            let lambda = o.rule().lambda();
            Dopamine2Settings {
                eps,
                bias_correction,
                ..Dopamine2Settings::new(p, beta, lambda)
            }
            .into()
        }),
        Engine::OesF32(o) => perturbation(&o, Dtype::F32, |p| open_es(p, o.rule().config())),
        Engine::OesF64(o) => perturbation(&o, Dtype::F64, |p| open_es(p, o.rule().config())),
    }
}

fn payload_of<D: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<D, String> {
    let (value, used): (D, usize) =
        bincode::serde::decode_from_slice(payload, bincode::config::standard())
            .map_err(|e| e.to_string())?;
    if used != payload.len() {
        return Err(format!("{} bytes left over", payload.len() - used));
    }
    Ok(value)
}

/// The coding settings in `f64` (exact from `f32`).
fn widen<T: Real>(c: &dopamine_core::AdaptiveCoding<T>) -> dopamine_core::AdaptiveCoding<f64> {
    dopamine_core::AdaptiveCoding {
        beta: c.beta.to_f64(),
        eps: c.eps.to_f64(),
        bias_correction: c.bias_correction,
    }
}

fn wp<T: Real>(p: PerturbSpec, rule: &dopamine_core::WpRule<T>) -> OptimizerSpec {
    WpSettings {
        halve_on_divergence: rule.config().halve_on_divergence,
        ..WpSettings::from(p)
    }
    .into()
}

fn open_es<T: Real>(p: PerturbSpec, adam: &dopamine_core::OpenEsConfig<T>) -> OptimizerSpec {
    OpenEsSettings {
        sigma: p.sigma,
        eta: p.eta,
        pairs: p.probes,
        cosine_to: p.cosine_to,
        total_steps: p.total_steps,
        every: p.every,
        factor: p.factor,
        noise: p.noise,
        l2: adam.l2.to_f64(),
        beta1: adam.beta1.to_f64(),
        beta2: adam.beta2.to_f64(),
        eps: adam.eps.to_f64(),
    }
    .into()
}

/// A 0.2.0 perturbation optimizer's settings (its probing settings `p`
/// made into the entry's by `entry`) and state.
fn perturbation<T, R>(
    opt: &PerturbationOptimizer<T, R>,
    dtype: Dtype,
    entry: impl FnOnce(PerturbSpec) -> OptimizerSpec,
) -> Result<(Settings, Vec<u8>), String>
where
    T: Float,
    R: dopamine_core::UpdateRule<T> + Serialize,
{
    let c: &PerturbConfig<T> = opt.config();
    let (mut cosine_to, mut total_steps, mut every, mut factor) = (None, None, None, None);
    match c.schedule {
        EtaSchedule::Constant => {}
        EtaSchedule::Cosine {
            total_steps: t,
            final_fraction,
        } => (cosine_to, total_steps) = (Some(final_fraction.to_f64()), Some(t)),
        EtaSchedule::Step {
            every: e,
            factor: f,
        } => (every, factor) = (Some(e), Some(f.to_f64())),
    }
    let spec = entry(PerturbSpec {
        sigma: c.sigma.to_f64(),
        eta: c.eta.to_f64(),
        probes: c.probes,
        antithetic: c.rpe == RpeMode::Antithetic,
        cosine_to,
        total_steps,
        every,
        factor,
        noise: match c.noise {
            NoiseKind::Gaussian => Noise::Gaussian,
            NoiseKind::Rademacher => Noise::Rademacher,
        },
    });
    let blocks = opt.layout().blocks();
    let layout: Option<Vec<Block>> = match blocks {
        [Block::Vector { .. }] => None,
        _ => Some(blocks.to_vec()),
    };
    let options = SpecOptions {
        rank: c.rank(),
        // OpenES always skips the baseline: not an option of its entry.
        baseline_from_probes: c.baseline == BaselinePolicy::FromProbes
            && !matches!(spec, OptimizerSpec::OpenEs(_)),
        ..SpecOptions::default()
    };
    let settings = Settings {
        spec,
        options,
        n_params: opt.dim(),
        layout,
        seed: c.seed,
        dtype: dtype.name().to_string(),
    };
    Ok((settings, encode_state(opt).map_err(|e| e.to_string())?))
}

/// A 0.2.0 SNES's settings and state.
fn snes<T: Float>(opt: &Snes<T, Vec<T>>, dtype: Dtype) -> Result<(Settings, Vec<u8>), String> {
    let c = opt.config();
    let settings = Settings {
        spec: SnesSettings {
            sigma: c.sigma0.to_f64(),
            eta: c.eta_mu.to_f64(),
            population: Some(c.population),
            eta_sigma: Some(c.eta_sigma.to_f64()),
        }
        .into(),
        options: SpecOptions::default(),
        n_params: opt.dim(),
        layout: None,
        seed: c.seed,
        dtype: dtype.name().to_string(),
    };
    Ok((settings, encode_state(opt).map_err(|e| e.to_string())?))
}
