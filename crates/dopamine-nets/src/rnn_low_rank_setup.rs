//! Preparation of the low-rank population sweep: how each weight matrix's noise reaches the points (checked against the model's blocks), and every point's factors, biases and coefficients laid out point-minor in the workspace.

use dopamine_core::{Block, ParamLayout, Query, StepPlan};

use crate::rnn_population::{RnnPopulationWorkspace, sized};
use crate::{NetError, Rnn, Scalar};

/// How one weight matrix's noise reaches the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MatrixNoise {
    /// A matrix block of the layout: `c_e A_e B_e^T`.
    LowRank,
    /// A vector block: dense noise `s_e Z_e`.
    Dense,
}

/// Packs the whole blocks of 4 rows of the column-major `m x n` matrix `w`
/// into `out` (see `rnn_low_rank::Shared`).
pub(crate) fn pack_rows<T: Scalar>(w: &[T], m: usize, n: usize, out: &mut Vec<T>) {
    out.clear();
    for b in 0..m / 4 {
        for j in 0..n {
            out.extend_from_slice(&w[j * m + 4 * b..j * m + 4 * b + 4]);
        }
    }
}

/// Points are padded to a multiple of this (two AVX2 vectors of `f32`).
pub(crate) const POINT_PAD: usize = 16;

/// The probe and scale of each point of a plan.
#[derive(Debug, Clone, Copy)]
struct PointNoise<T> {
    /// `None` for the baseline.
    probe: Option<usize>,
    /// `s_e` (`+-sigma`, 0 for the baseline).
    scale: T,
}

fn point_noise<T: Scalar>(plan: &StepPlan<T>, e: usize) -> PointNoise<T> {
    match plan.point(e) {
        Query::Baseline => PointNoise {
            probe: None,
            scale: T::ZERO,
        },
        Query::Probe { probe, .. } => PointNoise {
            probe: Some(probe),
            scale: plan.scale(e),
        },
    }
}

impl<T: Scalar> Rnn<T> {
    /// How each weight matrix's noise enters a low-rank population, checked
    /// against the model's blocks.
    pub(crate) fn population_noise(
        &self,
        layout: &ParamLayout,
    ) -> Result<[MatrixNoise; 3], NetError> {
        let (i, h, o) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let blocks = layout.blocks();
        if blocks.len() != 5 {
            return Err(NetError::PlanLayout {
                what: "an RNN layout has five blocks [W_in, W_hh, b, W_out, b_out]",
            });
        }
        let weight = |block: Block, rows: usize, cols: usize, what| match block {
            Block::Matrix { rows: r, cols: c } if (r, c) == (rows, cols) => {
                Ok(MatrixNoise::LowRank)
            }
            Block::Vector { len } if len == rows * cols => Ok(MatrixNoise::Dense),
            _ => Err(NetError::PlanLayout { what }),
        };
        let bias = |block: Block, len: usize, what| match block {
            Block::Vector { len: l } if l == len => Ok(()),
            _ => Err(NetError::PlanLayout { what }),
        };
        let w_in = weight(blocks[0], h, i, "block 0 must be W_in (H x I)")?;
        let w_hh = weight(blocks[1], h, h, "block 1 must be W_hh (H x H)")?;
        bias(
            blocks[2],
            h,
            "block 2 must be the hidden bias (a vector of H)",
        )?;
        let w_out = weight(blocks[3], o, h, "block 3 must be W_out (O x H)")?;
        bias(
            blocks[4],
            o,
            "block 4 must be the output bias (a vector of O)",
        )?;
        Ok([w_in, w_hh, w_out])
    }

    /// Low-rank noise: the factors (or dense noise) of the three weight
    /// matrices, biases and coefficients of the plan's points `points`,
    /// point-minor, into the workspace (the workspace's point `e` is the
    /// plan's `points.start + e`; each point's values depend on it alone).
    pub(crate) fn prepare_low_rank(
        &self,
        params: &[T],
        plan: &StepPlan<T>,
        points: core::ops::Range<usize>,
        kinds: [MatrixNoise; 3],
        ws: &mut RnnPopulationWorkspace<T>,
    ) {
        let (i, h, o) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let noise = plan.noise();
        let rank = noise.rank().unwrap_or(1);
        let first = points.start;
        let e_len = points.len();
        let ep = e_len.div_ceil(POINT_PAD) * POINT_PAD;
        let view = self.view(params);
        pack_rows(view.w_hh, h, h, &mut ws.w_hh_packed);
        pack_rows(view.w_out, o, h, &mut ws.w_out_packed);
        let inv = noise.rank_scale::<T>();
        let layout = self.layout();
        sized(&mut ws.coef, ep);
        sized(&mut ws.scale, ep);
        for e in 0..e_len {
            let pn = point_noise(plan, first + e);
            ws.scale[e] = pn.scale;
            ws.coef[e] = pn.scale * inv;
        }
        // The noise of each probe once, then spread over its points.
        let shapes = [
            (h, i, layout.w_in.start, 0),
            (h, h, layout.w_hh.start, 1),
            (o, h, layout.w_out.start, 3),
        ];
        let mut one = core::mem::take(&mut ws.u);
        for ((buf, (rows, cols, offset, block)), kind) in
            [&mut ws.w_in, &mut ws.w_hh, &mut ws.w_out]
                .into_iter()
                .zip(shapes)
                .zip(kinds)
        {
            let per_point = match kind {
                MatrixNoise::LowRank => (rows + cols) * rank,
                MatrixNoise::Dense => rows * cols,
            };
            sized(buf, per_point * ep);
            sized(&mut one, per_point);
            for e in 0..e_len {
                let Some(k) = point_noise(plan, first + e).probe else {
                    continue;
                };
                match kind {
                    MatrixNoise::LowRank => {
                        let (a, b) = one.split_at_mut(rows * rank);
                        noise.factors(k, block, a, b);
                    }
                    MatrixNoise::Dense => noise.fill(k, offset, &mut one),
                }
                for (q, &value) in one.iter().enumerate() {
                    buf[q * ep + e] = value;
                }
            }
        }
        // Each point's biases `b + s_e z_b`, point-minor.
        sized(&mut ws.bias, h * ep);
        sized(&mut ws.bias_out, o * ep);
        for (dst, range, len) in [
            (&mut ws.bias, layout.bias.clone(), h),
            (&mut ws.bias_out, layout.bias_out.clone(), o),
        ] {
            let base = &params[range.clone()];
            sized(&mut one, len);
            for e in 0..e_len {
                let pn = point_noise(plan, first + e);
                match pn.probe {
                    Some(k) => noise.fill(k, range.start, &mut one),
                    None => one.fill(T::ZERO),
                }
                for (q, (&b, &z)) in base.iter().zip(one.iter()).enumerate() {
                    dst[q * ep + e] = if pn.probe.is_some() {
                        b + pn.scale * z
                    } else {
                        b
                    };
                }
            }
        }
        ws.u = one;
        sized(&mut ws.u, 2 * rank * ep);
        sized(&mut ws.hs, h * ep);
        sized(&mut ws.next, h * ep);
        sized(&mut ws.y, o * ep);
        sized(&mut ws.v, h);
        sized(&mut ws.x, i);
        sized(&mut ws.sse, ep);
    }
}
