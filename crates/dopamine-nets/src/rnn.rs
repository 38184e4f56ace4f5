//! The Elman recurrent network: flat parameter layout, seeded initialisation
//! with a chosen spectral radius, streamed sequence loss, teacher-forced and
//! free-running prediction.

use core::ops::Range;

use faer::{MatMut, MatRef};

use crate::init::{Gaussian, spectral_radius};
use crate::rnn_forward::{FreeRun, Predict, RnnParams, StreamedSse};
use crate::vmath::dispatch;
use crate::{NetError, Scalar, check};

/// How [`Rnn::new`] draws the parameters. Biases always start at zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RnnInit {
    /// Spectral radius (largest eigenvalue modulus) of `W_hh` after scaling:
    /// `W_hh` is drawn with i.i.d. `N(0, 1/H)` entries and rescaled so that
    /// its *exact* spectral radius (all eigenvalues from faer's eigenvalue
    /// solver, see [`crate::spectral_radius`]) equals this value. `0` gives
    /// `W_hh = 0`. Default 0.9.
    pub spectral_radius: f64,
    /// Standard deviation of the `W_in` entries times `sqrt(input_dim)`:
    /// entries are `N(0, input_scale^2 / input_dim)`. Default 1.
    pub input_scale: f64,
    /// Seed of the `Xoshiro256PlusPlus` stream. Draw order: `W_in`, `W_hh`,
    /// `W_out` (`N(0, 1/H)` entries), each in parameter order. Default 0.
    pub seed: u64,
}

impl Default for RnnInit {
    fn default() -> Self {
        Self {
            spectral_radius: 0.9,
            input_scale: 1.0,
            seed: 0,
        }
    }
}

impl RnnInit {
    /// The default initialisation with another seed.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }
}

/// Ranges of the parameter blocks of an [`Rnn`] in its flat vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RnnLayout {
    /// `W_in`, `H x I` column-major.
    pub w_in: Range<usize>,
    /// `W_hh`, `H x H` column-major.
    pub w_hh: Range<usize>,
    /// Hidden bias `b`, `H` values.
    pub bias: Range<usize>,
    /// `W_out`, `O x H` column-major.
    pub w_out: Range<usize>,
    /// Output bias `b_out`, `O` values.
    pub bias_out: Range<usize>,
}

/// An Elman network: `h_t = tanh(W_in x_t + W_hh h_{t-1} + b)`,
/// `y_t = W_out h_t + b_out`, with `h_{-1} = 0` (or a given initial state).
///
/// # Parameter layout
///
/// With input size `I`, hidden size `H` and output size `O`, the flat vector
/// is `[W_in, W_hh, b, W_out, b_out]`: `W_in` (`H x I`), `W_hh` (`H x H`) and
/// `W_out` (`O x H`) stored **column-major** (entry `(i, j)` at
/// `offset + i + j * rows`), then the biases; length
/// `H*I + H*H + H + O*H + O`. [`Rnn::layout`] gives the exact ranges;
/// gradients use the same layout.
///
/// # Data layout
///
/// A sequence is a `faer::MatRef` with one **row per time step**: inputs
/// `T x I`, targets `T x O` (target row `t` is what `y_t` should be; for
/// one-step-ahead forecasting it is input row `t + 1`). A row-major slice is
/// viewed with `MatRef::from_row_major_slice(&data, len, dim)`.
///
/// # Loss
///
/// `loss = sum_{t >= washout} sum_o (y_t[o] - target_t[o])^2 / ((T - washout) * O)`:
/// the mean squared error over the steps after the washout.
#[derive(Debug, Clone, PartialEq)]
pub struct Rnn<T> {
    input_dim: usize,
    hidden_dim: usize,
    output_dim: usize,
    params: Vec<T>,
}

impl<T: Scalar> Rnn<T> {
    /// Number of parameters: `H*I + H*H + H + O*H + O`.
    pub fn param_count(input_dim: usize, hidden_dim: usize, output_dim: usize) -> usize {
        let (i, h, o) = (input_dim, hidden_dim, output_dim);
        h * i + h * h + h + o * h + o
    }

    /// A network with all parameters zero. All sizes must be positive.
    pub fn zeros(input_dim: usize, hidden_dim: usize, output_dim: usize) -> Result<Self, NetError> {
        for (n, what) in [
            (input_dim, "input dimension"),
            (hidden_dim, "hidden dimension"),
            (output_dim, "output dimension"),
        ] {
            if n == 0 {
                return Err(NetError::ZeroSize { what });
            }
        }
        Ok(Self {
            input_dim,
            hidden_dim,
            output_dim,
            params: vec![T::ZERO; Self::param_count(input_dim, hidden_dim, output_dim)],
        })
    }

    /// A seeded random network (see [`RnnInit`]).
    pub fn new(
        input_dim: usize,
        hidden_dim: usize,
        output_dim: usize,
        init: &RnnInit,
    ) -> Result<Self, NetError> {
        if !(init.spectral_radius.is_finite() && init.spectral_radius >= 0.0) {
            return Err(NetError::InvalidConfig {
                what: "spectral_radius must be finite and >= 0",
            });
        }
        if !(init.input_scale.is_finite() && init.input_scale >= 0.0) {
            return Err(NetError::InvalidConfig {
                what: "input_scale must be finite and >= 0",
            });
        }
        let mut net = Self::zeros(input_dim, hidden_dim, output_dim)?;
        let layout = net.layout();
        let mut gauss = Gaussian::new(init.seed);
        let h = hidden_dim as f64;
        gauss.fill(
            &mut net.params[layout.w_in.clone()],
            init.input_scale / (input_dim as f64).sqrt(),
        );
        // Draw and scale W_hh in f64, then round once.
        let mut w_hh = vec![0.0_f64; hidden_dim * hidden_dim];
        gauss.fill(&mut w_hh, 1.0 / h.sqrt());
        let radius = spectral_radius(MatRef::from_column_major_slice(
            &w_hh, hidden_dim, hidden_dim,
        ))?;
        let factor = if radius > 0.0 {
            init.spectral_radius / radius
        } else {
            0.0
        };
        for (p, w) in net.params[layout.w_hh.clone()].iter_mut().zip(&w_hh) {
            *p = T::from_f64(w * factor);
        }
        gauss.fill(&mut net.params[layout.w_out.clone()], 1.0 / h.sqrt());
        Ok(net)
    }

    /// A network with the given parameters (layout as documented on [`Rnn`]).
    pub fn from_params(
        input_dim: usize,
        hidden_dim: usize,
        output_dim: usize,
        params: &[T],
    ) -> Result<Self, NetError> {
        let mut net = Self::zeros(input_dim, hidden_dim, output_dim)?;
        net.set_params(params)?;
        Ok(net)
    }

    /// Input dimension `I`.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// Hidden dimension `H`.
    pub fn hidden_dim(&self) -> usize {
        self.hidden_dim
    }

    /// Output dimension `O`.
    pub fn output_dim(&self) -> usize {
        self.output_dim
    }

    /// Length of the flat parameter vector.
    pub fn num_params(&self) -> usize {
        self.params.len()
    }

    /// The flat parameter vector.
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// The flat parameter vector, for in-place perturbation and updates.
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    /// Copies `params` into the model; errors if the length differs.
    pub fn set_params(&mut self, params: &[T]) -> Result<(), NetError> {
        if params.len() != self.params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameter count",
                expected: self.params.len(),
                got: params.len(),
            });
        }
        self.params.copy_from_slice(params);
        Ok(())
    }

    /// Ranges of the parameter blocks in the flat vector.
    pub fn layout(&self) -> RnnLayout {
        let (i, h, o) = (self.input_dim, self.hidden_dim, self.output_dim);
        let w_hh = h * i;
        let bias = w_hh + h * h;
        let w_out = bias + h;
        let bias_out = w_out + o * h;
        RnnLayout {
            w_in: 0..w_hh,
            w_hh: w_hh..bias,
            bias: bias..w_out,
            w_out: w_out..bias_out,
            bias_out: bias_out..bias_out + o,
        }
    }

    /// View of `W_in` (`H x I`) into the flat vector.
    pub fn w_in(&self) -> MatRef<'_, T> {
        let (i, h) = (self.input_dim, self.hidden_dim);
        MatRef::from_column_major_slice(&self.params[..h * i], h, i)
    }

    /// View of `W_hh` (`H x H`) into the flat vector.
    pub fn w_hh(&self) -> MatRef<'_, T> {
        let (i, h) = (self.input_dim, self.hidden_dim);
        MatRef::from_column_major_slice(&self.params[h * i..h * i + h * h], h, h)
    }

    /// Mutable view of `W_hh` into the flat vector.
    pub fn w_hh_mut(&mut self) -> MatMut<'_, T> {
        let (i, h) = (self.input_dim, self.hidden_dim);
        MatMut::from_column_major_slice_mut(&mut self.params[h * i..h * i + h * h], h, h)
    }

    /// Hidden bias `b`.
    pub fn bias(&self) -> &[T] {
        let (i, h) = (self.input_dim, self.hidden_dim);
        let start = h * i + h * h;
        &self.params[start..start + h]
    }

    /// View of `W_out` (`O x H`) into the flat vector.
    pub fn w_out(&self) -> MatRef<'_, T> {
        let (i, h, o) = (self.input_dim, self.hidden_dim, self.output_dim);
        let start = h * i + h * h + h;
        MatRef::from_column_major_slice(&self.params[start..start + o * h], o, h)
    }

    /// Output bias `b_out`.
    pub fn bias_out(&self) -> &[T] {
        let start = self.params.len() - self.output_dim;
        &self.params[start..]
    }

    /// Exact spectral radius of `W_hh` (O(H^3), allocates; for reports).
    pub fn spectral_radius(&self) -> Result<f64, NetError> {
        spectral_radius(self.w_hh())
    }

    /// The parameter blocks of a flat vector of this model's layout, whose
    /// length the caller has checked.
    pub(crate) fn view<'a>(&self, params: &'a [T]) -> RnnParams<'a, T> {
        RnnParams::new(self.input_dim, self.hidden_dim, self.output_dim, params)
    }

    /// [`Rnn::view`] after checking the length of `params`.
    pub(crate) fn checked_view<'a>(&self, params: &'a [T]) -> Result<RnnParams<'a, T>, NetError> {
        if params.len() != self.params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameter count",
                expected: self.params.len(),
                got: params.len(),
            });
        }
        Ok(self.view(params))
    }

    /// Checks a teacher-forced sequence: `inputs` is `T x I` with `T >= 1`,
    /// `targets` (when given) is `T x O` and then `washout < T`, and every
    /// value is finite. Every loss, prediction and gradient
    /// call runs this check; its cost, O(T (I + O)), is small next to the
    /// O(T H^2) recurrence.
    pub fn validate(
        &self,
        inputs: MatRef<'_, T>,
        targets: Option<MatRef<'_, T>>,
        washout: usize,
    ) -> Result<(), NetError> {
        let len = inputs.nrows();
        if len == 0 {
            return Err(NetError::EmptySequence);
        }
        check::shape(inputs, "input rows", None, "input columns", self.input_dim)?;
        if let Some(targets) = targets {
            check::shape(
                targets,
                "target rows",
                Some(len),
                "target columns",
                self.output_dim,
            )?;
            if washout >= len {
                return Err(NetError::WashoutTooLong { washout, len });
            }
        }
        check::finite(inputs, "inputs")?;
        if let Some(targets) = targets {
            check::finite(targets, "targets")?;
        }
        Ok(())
    }

    /// Streamed mean squared error of a teacher-forced sequence, starting
    /// from `h_{-1} = 0`; the first `washout` steps are run but not scored.
    ///
    /// Memory is O(H) whatever the length: only the current and next hidden
    /// state and the output are kept (in the workspace), and the readout is
    /// computed only for scored steps. Allocates nothing. After the call,
    /// [`RnnWorkspace::hidden`] holds the final hidden state.
    ///
    /// Each step is one fused pass over the rows (bias, input and recurrent
    /// products, `tanh` by [`crate::vmath`]), compiled with AVX2 when the CPU
    /// has it; the order of the operations is fixed, so the value is the
    /// same on every CPU (see the `rnn_forward` module's documentation).
    pub fn loss(
        &self,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnWorkspace<T>,
    ) -> Result<T, NetError> {
        self.loss_from_state(None, inputs, targets, washout, ws)
    }

    /// [`Rnn::loss`] of the same architecture at another flat parameter
    /// vector `params` (the layout documented on [`Rnn`]), without copying
    /// it into the model: e.g. a probe point `w + sigma z` held in a buffer
    /// of its own, while the model keeps `w`. Bit-identical to
    /// [`Rnn::loss`] of a model whose parameters equal `params` (so to
    /// `self.loss` when `params == self.params()`). Allocates nothing.
    ///
    /// # Errors
    /// [`NetError::ShapeMismatch`] (`"parameter count"`) when `params` does
    /// not have [`Rnn::num_params`] values, and every error of
    /// [`Rnn::loss`].
    pub fn loss_at(
        &self,
        params: &[T],
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnWorkspace<T>,
    ) -> Result<T, NetError> {
        let view = self.checked_view(params)?;
        self.loss_with(view, None, inputs, targets, washout, ws)
    }

    /// [`Rnn::loss`] starting from a given hidden state `h0` (`H` values;
    /// `None` means zeros), e.g. to continue a sequence.
    pub fn loss_from_state(
        &self,
        h0: Option<&[T]>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnWorkspace<T>,
    ) -> Result<T, NetError> {
        self.loss_with(self.view(&self.params), h0, inputs, targets, washout, ws)
    }

    /// The streamed loss at the parameters `view`.
    fn loss_with(
        &self,
        view: RnnParams<'_, T>,
        h0: Option<&[T]>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnWorkspace<T>,
    ) -> Result<T, NetError> {
        ws.check_fits(self)?;
        self.validate(inputs, Some(targets), washout)?;
        self.start_state(h0, ws)?;
        let sum = dispatch(StreamedSse {
            params: view,
            inputs,
            targets,
            washout,
            ws,
        });
        let scored = (inputs.nrows() - washout) * self.output_dim;
        Ok(sum / T::from_usize(scored))
    }

    fn start_state(&self, h0: Option<&[T]>, ws: &mut RnnWorkspace<T>) -> Result<(), NetError> {
        match h0 {
            None => ws.h.fill(T::ZERO),
            Some(h0) => {
                if h0.len() != self.hidden_dim {
                    return Err(NetError::ShapeMismatch {
                        what: "initial state length",
                        expected: self.hidden_dim,
                        got: h0.len(),
                    });
                }
                if let Some(col) = h0.iter().position(|v| !v.is_finite()) {
                    return Err(NetError::NonFinite {
                        what: "initial state",
                        row: 0,
                        col,
                    });
                }
                ws.h.copy_from_slice(h0);
            }
        }
        Ok(())
    }

    /// Teacher-forced outputs `y_t` for every step of `inputs` (`T x I`),
    /// written into `outputs` (`T x O`), from `h_{-1} = 0`. Allocates nothing.
    pub fn predict(
        &self,
        inputs: MatRef<'_, T>,
        outputs: MatMut<'_, T>,
        ws: &mut RnnWorkspace<T>,
    ) -> Result<(), NetError> {
        ws.check_fits(self)?;
        self.validate(inputs, None, 0)?;
        if outputs.nrows() != inputs.nrows() {
            return Err(NetError::ShapeMismatch {
                what: "output rows",
                expected: inputs.nrows(),
                got: outputs.nrows(),
            });
        }
        if outputs.ncols() != self.output_dim {
            return Err(NetError::ShapeMismatch {
                what: "output columns",
                expected: self.output_dim,
                got: outputs.ncols(),
            });
        }
        ws.h.fill(T::ZERO);
        dispatch(Predict {
            params: self.view(&self.params),
            inputs,
            outputs,
            ws,
        });
        Ok(())
    }

    /// Free-running (closed-loop) forecast.
    ///
    /// Runs teacher-forced over `context` (`C x I`, `C >= 1`, from
    /// `h_{-1} = 0`), then predicts `predictions.nrows()` steps ahead:
    /// row 0 is `y` after the last context step (the forecast of the step
    /// after the context), and each later row is the output after feeding
    /// the previous row back as the next input. Needs `I == O`. Allocates
    /// nothing. `predictions` is `horizon x O`; a horizon of 0 is allowed.
    pub fn free_run(
        &self,
        context: MatRef<'_, T>,
        predictions: MatMut<'_, T>,
        ws: &mut RnnWorkspace<T>,
    ) -> Result<(), NetError> {
        ws.check_fits(self)?;
        if self.input_dim != self.output_dim {
            return Err(NetError::FeedbackDimensions {
                input_dim: self.input_dim,
                output_dim: self.output_dim,
            });
        }
        if context.nrows() == 0 {
            return Err(NetError::EmptySequence);
        }
        check::shape(
            context,
            "context rows",
            None,
            "context columns",
            self.input_dim,
        )?;
        check::finite(context, "context")?;
        if predictions.ncols() != self.output_dim {
            return Err(NetError::ShapeMismatch {
                what: "prediction columns",
                expected: self.output_dim,
                got: predictions.ncols(),
            });
        }
        ws.h.fill(T::ZERO);
        dispatch(FreeRun {
            params: self.view(&self.params),
            context,
            predictions,
            ws,
        });
        Ok(())
    }
}

/// Scratch memory for [`Rnn`] losses and predictions: O(H), independent of
/// the sequence length. Build it once per model shape; calls then allocate
/// nothing.
#[derive(Debug, Clone)]
pub struct RnnWorkspace<T> {
    dims: (usize, usize, usize),
    pub(crate) h: Vec<T>,
    pub(crate) h_next: Vec<T>,
    pub(crate) y: Vec<T>,
}

impl<T: Scalar> RnnWorkspace<T> {
    /// A workspace for `net`.
    pub fn new(net: &Rnn<T>) -> Self {
        Self {
            dims: (net.input_dim, net.hidden_dim, net.output_dim),
            h: vec![T::ZERO; net.hidden_dim],
            h_next: vec![T::ZERO; net.hidden_dim],
            y: vec![T::ZERO; net.output_dim],
        }
    }

    /// The hidden state after the last call (the final state of the
    /// sequence).
    pub fn hidden(&self) -> &[T] {
        &self.h
    }

    fn check_fits(&self, net: &Rnn<T>) -> Result<(), NetError> {
        let (i, h, o) = self.dims;
        if i != net.input_dim {
            return Err(NetError::WorkspaceMismatch {
                what: "input dimension",
            });
        }
        if h != net.hidden_dim {
            return Err(NetError::WorkspaceMismatch {
                what: "hidden dimension",
            });
        }
        if o != net.output_dim {
            return Err(NetError::WorkspaceMismatch {
                what: "output dimension",
            });
        }
        Ok(())
    }
}
