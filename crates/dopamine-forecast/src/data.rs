//! A forecasting run's data (a series split in time order and z-scored on the training part), how a trained network is scored on it (one step ahead, teacher-forced, and free-running), and the persistence baseline.

use dopamine_nets::{Rnn, RnnWorkspace, Scalar};
use dopamine_tasks::{
    NormalizationMethod, Normalizer, Series, nrmse, nrmse_scaled, one_step_pairs,
    persistence_forecast, split_by_fractions,
};
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::ForecastError;

/// A series split in time order into training, validation and test parts,
/// z-scored with the training part's mean and standard deviation.
///
/// Every score is an NRMSE (RMSE over the standard deviation of the target
/// rows, per dimension, averaged), computed on the normalised values. The
/// z-score is affine per dimension, so an NRMSE is the same in the data's
/// units (up to rounding): predictions brought back with
/// [`ForecastData::normalizer`] score the same.
#[derive(Debug, Clone)]
pub struct ForecastData {
    /// The whole normalised series.
    pub series: Series,
    /// The z-score fitted on the training part (its inverse brings
    /// predictions back to the data's units).
    pub normalizer: Normalizer,
    /// Rows of the training part: `0..train_end`.
    pub train_end: usize,
    /// Rows of the validation part: `train_end..val_end`; test: `val_end..`.
    pub val_end: usize,
}

/// A series as a matrix, one row per time step (the models' input form).
pub(crate) fn to_mat(s: &Series) -> Mat<f64> {
    Mat::from_fn(s.len(), s.dim(), |i, j| s.row(i)[j])
}

/// A matrix in the precision `T` of a network.
pub fn cast<T: Scalar>(m: &Mat<f64>) -> Mat<T> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]))
}

/// Rows of a matrix as a series; `None` when a value is not finite (a
/// diverged model), which scores as NaN.
fn to_series<T: Scalar>(m: MatRef<'_, T>, rows: std::ops::Range<usize>) -> Option<Series> {
    let data: Vec<f64> = rows
        .flat_map(|t| (0..m.ncols()).map(move |j| m[(t, j)].to_f64()))
        .collect();
    Series::new(m.ncols(), data).ok()
}

impl ForecastData {
    /// Splits `raw` in time order (the first `floor(train_fraction * len)`
    /// rows train, the next `floor(validation_fraction * len)` validate,
    /// the rest test) and z-scores it with the training part's statistics.
    ///
    /// Errors: fractions out of range, a training part that is empty or
    /// has a constant column ([`dopamine_tasks::TaskError::ZeroSpread`]).
    pub fn new(
        raw: &Series,
        train_fraction: f64,
        validation_fraction: f64,
    ) -> Result<Self, ForecastError> {
        let split = split_by_fractions(raw, train_fraction, validation_fraction)?;
        let (_, normalizer) = split.normalized(NormalizationMethod::ZScore)?;
        let series = normalizer.transform(raw)?;
        let train_end = split.train.len();
        let val_end = train_end + split.validation.len();
        Ok(Self {
            series,
            normalizer,
            train_end,
            val_end,
        })
    }

    /// Rows `start..end` of the normalised series as a matrix.
    pub fn rows(&self, start: usize, end: usize) -> Result<Mat<f64>, ForecastError> {
        Ok(to_mat(&self.series.slice_rows(start, end)?))
    }

    /// Teacher-forced pairs over rows `start..end`: inputs `x_t`, targets `x_{t+1}`.
    pub fn pairs(&self, start: usize, end: usize) -> Result<(Mat<f64>, Mat<f64>), ForecastError> {
        let pairs = one_step_pairs(&self.series.slice_rows(start, end)?)?;
        Ok((to_mat(&pairs.inputs), to_mat(&pairs.targets)))
    }

    /// Forecast origins spread evenly over the test part, leaving room for
    /// `context` rows before and `max_h` rows after.
    pub fn origins(&self, count: usize, context: usize, max_h: usize) -> Vec<usize> {
        let first = self.val_end.max(context);
        let last = self.series.len().saturating_sub(max_h);
        if last <= first {
            return vec![];
        }
        let count = count.max(1).min(last - first);
        (0..count)
            .map(|i| first + i * (last - first) / count)
            .collect()
    }

    /// The rows `o + offset` for every origin `o`.
    fn at_origins(&self, origins: &[usize], offset: isize) -> Result<Series, ForecastError> {
        let rows: Vec<&[f64]> = origins
            .iter()
            .map(|&o| self.series.row((o as isize + offset) as usize))
            .collect();
        Ok(Series::from_rows(&rows)?)
    }
}

/// NRMSE of free-running predictions (one row per origin) against the
/// truth, scaled by the test part's spread; NaN for a diverged model.
fn free_running_nrmse(pred: Option<Series>, truth: &Series, scale: &[f64]) -> f64 {
    pred.and_then(|p| nrmse_scaled(&p, truth, scale).ok())
        .unwrap_or(f64::NAN)
}

/// Test-set errors of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastScores {
    /// One-step teacher-forced NRMSE on the test part.
    pub teacher_forced: f64,
    /// Free-running NRMSE at each configured horizon.
    pub free_running: Vec<(usize, f64)>,
}

/// One-step teacher-forced predictions of rows `start..end` (`start >= 1`)
/// of the normalised series, with every row before as context: the row
/// `t` predicted from rows `0..t`. `None` when a prediction is not finite
/// (a diverged model).
pub fn predict_rows<T: Scalar>(
    net: &Rnn<T>,
    data: &ForecastData,
    start: usize,
    end: usize,
) -> Result<Option<Series>, ForecastError> {
    predict_series(net, &data.series, start, end)
}

/// [`predict_rows`] on any normalised series (a new file, for instance).
pub fn predict_series<T: Scalar>(
    net: &Rnn<T>,
    series: &Series,
    start: usize,
    end: usize,
) -> Result<Option<Series>, ForecastError> {
    let mut ws = RnnWorkspace::new(net);
    let pairs = one_step_pairs(&series.slice_rows(0, end)?)?;
    let inputs = cast::<T>(&to_mat(&pairs.inputs));
    let mut out = Mat::zeros(inputs.nrows(), net.output_dim());
    net.predict(inputs.as_ref(), out.as_mut(), &mut ws)?;
    Ok(to_series(out.as_ref(), (start - 1)..(end - 1)))
}

/// Evaluates `net` on rows `start..end` (teacher-forced, one step ahead,
/// with everything before `start` as context) and free-running from origins,
/// in the network's precision. NRMSE is [`dopamine_tasks::nrmse`]: RMSE over
/// the standard deviation of rows `start..end`, per dimension, averaged.
pub fn evaluate<T: Scalar>(
    net: &Rnn<T>,
    data: &ForecastData,
    start: usize,
    end: usize,
    horizons: &[usize],
    origins: &[usize],
    context: usize,
) -> Result<ForecastScores, ForecastError> {
    let mut ws = RnnWorkspace::new(net);
    let truth = data.series.slice_rows(start, end)?;
    let teacher_forced = predict_rows(net, data, start, end)?
        .and_then(|pred| nrmse(&pred, &truth).ok())
        .unwrap_or(f64::NAN);
    let scale = truth.std_per_dim()?;
    let max_h = horizons.iter().copied().max().unwrap_or(1);
    let mut forecasts = Mat::zeros(max_h, net.output_dim());
    // Per horizon: the prediction at every origin.
    let mut per_h: Vec<Vec<f64>> = vec![Vec::new(); horizons.len()];
    // No horizon: nothing to run free.
    let origins = if horizons.is_empty() {
        &[][..]
    } else {
        origins
    };
    for &o in origins {
        let ctx = cast::<T>(&data.rows(o - context, o)?);
        net.free_run(ctx.as_ref(), forecasts.as_mut(), &mut ws)?;
        for (k, &h) in horizons.iter().enumerate() {
            per_h[k].extend((0..forecasts.ncols()).map(|j| forecasts[(h - 1, j)].to_f64()));
        }
    }
    let mut free_running = Vec::new();
    for (k, &h) in horizons.iter().enumerate() {
        let pred = Series::new(net.output_dim(), std::mem::take(&mut per_h[k])).ok();
        let truth = data.at_origins(origins, h as isize - 1)?;
        free_running.push((h, free_running_nrmse(pred, &truth, &scale)));
    }
    Ok(ForecastScores {
        teacher_forced,
        free_running,
    })
}

/// Persistence (next value = last value) on the same test rows and origins,
/// from [`dopamine_tasks::persistence_forecast`].
pub fn persistence(
    data: &ForecastData,
    horizons: &[usize],
    origins: &[usize],
) -> Result<ForecastScores, ForecastError> {
    let (start, end) = (data.val_end, data.series.len());
    let pairs = persistence_forecast(&data.series.slice_rows(start - 1, end)?, 1)?;
    let teacher_forced = nrmse(&pairs.inputs, &pairs.targets)?;
    if horizons.is_empty() {
        return Ok(ForecastScores {
            teacher_forced,
            free_running: Vec::new(),
        });
    }
    let scale = pairs.targets.std_per_dim()?;
    let last = data.at_origins(origins, -1)?;
    let free_running = horizons
        .iter()
        .map(|&h| {
            let truth = data.at_origins(origins, h as isize - 1)?;
            Ok((h, free_running_nrmse(Some(last.clone()), &truth, &scale)))
        })
        .collect::<Result<_, ForecastError>>()?;
    Ok(ForecastScores {
        teacher_forced,
        free_running,
    })
}
