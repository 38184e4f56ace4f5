//! `Dopamine3<T, S>`: the step protocol (open a step, record the two copies' losses, update, end a sequence) and its state in caller storage.

use crate::error::{Error, check_len};
use crate::node::config::{Accumulation, Dopamine3Config, Signal, UpdateEvery};
use crate::node::layout::NodeLayout;
use crate::node::noise::NoiseCursor;
use crate::node::outcome::{NodeCounters, NodeUpdate, Recorded, StepBuffers};
use crate::node::product::{Rows, add_products, scale_noise, stream_layer};
use crate::node::storage::split;
use crate::node::update::{Moment, apply, apply_flops};
use crate::real::Real;
use crate::rules::rpe_stats::RpeStats;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Dopamine-3: node perturbation with a per-step dopamine signal and
/// synaptic eligibility traces (see the module docs of [`crate::node`]).
///
/// All state is plain data: the settings, the layout, counters and the
/// caller's storage `S` (`&mut [T]` on a heapless target, `Vec<T>`
/// elsewhere; [`Dopamine3Config::storage_len`] values), so a rule can be
/// serialised (feature `serde`) at any point, mid-sequence included, and
/// resumed bit for bit.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Dopamine3<T, S> {
    config: Dopamine3Config<T>,
    layout: NodeLayout,
    storage: S,
    stats: Option<RpeStats<T>>,
    /// Updates absorbed by the second moments.
    moment_steps: u64,
    /// `k`: the current update interval.
    interval: u64,
    /// Steps recorded in the current interval.
    step_in_interval: u64,
    /// Rows of the step buffer not yet folded in.
    rows: usize,
    /// A step is open (its noise is in the buffer).
    open: bool,
    /// The interval is complete and waits for `update`.
    update_due: bool,
    /// Sum of the interval's RPEs (whole-interval signal).
    delta_sum: T,
    counters: NodeCounters,
    cursor: NoiseCursor,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Dopamine3<T, S> {
    /// A rule with these settings for a model of this layout, its state in
    /// `storage` (exactly [`Dopamine3Config::storage_len`] values; zeroed
    /// here).
    pub fn new(
        config: Dopamine3Config<T>,
        layout: NodeLayout,
        mut storage: S,
    ) -> Result<Self, Error> {
        config.validate()?;
        check_len(config.storage_len(&layout), storage.as_ref().len())?;
        storage.as_mut().fill(T::ZERO);
        let stats = match config.signal {
            Signal::Adaptive(coding) => Some(RpeStats::new(coding)),
            _ => None,
        };
        Ok(Self {
            config,
            layout,
            storage,
            stats,
            moment_steps: 0,
            interval: 0,
            step_in_interval: 0,
            rows: 0,
            open: false,
            update_due: false,
            delta_sum: T::ZERO,
            counters: NodeCounters::default(),
            cursor: NoiseCursor::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &Dopamine3Config<T> {
        &self.config
    }

    /// The model's layout.
    pub fn layout(&self) -> &NodeLayout {
        &self.layout
    }

    /// What the rule has done so far.
    pub fn counters(&self) -> &NodeCounters {
        &self.counters
    }

    /// `k`: the update interval the next step belongs to (also the index of
    /// the next update, which the schedule uses).
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Steps recorded in the current interval.
    pub fn steps_in_interval(&self) -> u64 {
        self.step_in_interval
    }

    /// `true` when the interval is complete and [`Dopamine3::update`] must
    /// come before the next step.
    pub fn update_due(&self) -> bool {
        self.update_due
    }

    /// `true` between [`Dopamine3::open_step`] and [`Dopamine3::record`].
    pub fn step_open(&self) -> bool {
        self.open
    }

    /// The RPE statistics of the adaptive coding, when that is the signal.
    pub fn stats(&self) -> Option<&RpeStats<T>> {
        self.stats.as_ref()
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }

    /// The eligibility trace `e` as of the last folded block (after every
    /// step when streaming).
    pub fn trace(&self) -> &[T] {
        let p = self.layout.params();
        &self.storage.as_ref()[p..2 * p]
    }

    /// The second moments `u`, when the normalisation is on.
    pub fn second_moments(&self) -> Option<&[T]> {
        let p = self.layout.params();
        self.config
            .second_moment
            .map(|_| &self.storage.as_ref()[2 * p..3 * p])
    }

    /// The buffer row of the current step.
    fn row(&self) -> usize {
        match self.config.accumulation {
            Accumulation::Streaming => 0,
            Accumulation::Blocks(_) => self.rows,
        }
    }

    /// Opens the next time step: writes its noise `xi(t)` (regenerated
    /// from its key) and returns it with the presynaptic buffer to fill.
    /// Calling it again before [`Dopamine3::record`] returns the same step.
    ///
    /// # Errors
    /// [`Error::NodeProtocol`] when an update is due.
    #[inline]
    pub fn open_step(&mut self) -> Result<StepBuffers<'_, T>, Error> {
        if self.update_due {
            return Err(Error::NodeProtocol(
                "an update is due: call update before the next step",
            ));
        }
        let n = self.layout.neurons();
        let stride = n + self.layout.presynaptic();
        let start = self.rows_offset() + self.row() * stride;
        let first = !self.open;
        if first {
            self.open = true;
            self.counters.noise_values += n as u64;
        }
        let step = self.step_in_interval * n as u64;
        let Self {
            config,
            storage,
            cursor,
            interval,
            ..
        } = self;
        let (noise, presynaptic) = storage.as_mut()[start..start + stride].split_at_mut(n);
        if first {
            cursor.fill(
                config.seed,
                config.noise_kind,
                *interval,
                step,
                config.sigma,
                noise,
            );
        }
        Ok(StepBuffers { noise, presynaptic })
    }

    /// Where the step buffer starts in the storage: after `g`, `e` and `u`.
    #[inline]
    fn rows_offset(&self) -> usize {
        let p = self.layout.params();
        if self.config.second_moment.is_some() {
            3 * p
        } else {
            2 * p
        }
    }

    /// Closes the open step with the two copies' losses of this time step
    /// (`loss_a` of copy A, which carries `+xi`; `loss_b` of copy B; 0 for
    /// both on a step outside the loss, e.g. a washout step): computes its
    /// signal and folds it in (at once when streaming, when the buffer is
    /// full or the interval complete otherwise).
    ///
    /// A non-finite loss (or RPE) does not stop anything: the step's signal
    /// is 0, so it gives no credit, and [`NodeCounters::rejected_steps`]
    /// counts it; its noise stays in the trace (it did move the copies).
    ///
    /// # Errors
    /// [`Error::TellWithoutAsk`] when no step is open.
    #[inline]
    pub fn record(&mut self, loss_a: T, loss_b: T) -> Result<Recorded<T>, Error> {
        if !self.open {
            return Err(Error::TellWithoutAsk);
        }
        let delta = self.config.noise.rpe(loss_a, loss_b);
        let mut signal = None;
        if loss_a.is_finite() && loss_b.is_finite() && delta.is_finite() {
            signal = match &mut self.stats {
                None => Some(delta),
                Some(stats) => {
                    let mut d = [T::ZERO];
                    stats.observe(&[delta], &mut d).then_some(d[0])
                }
            };
        }
        if signal.is_none() {
            self.counters.rejected_steps += 1;
        }
        let d = signal.unwrap_or(T::ZERO);
        let whole = matches!(self.config.signal, Signal::WholeInterval);
        if whole {
            self.delta_sum += d;
        }
        let row = self.row();
        self.open = false;
        self.step_in_interval += 1;
        self.counters.steps += 1;
        let stride = self.layout.neurons() + self.layout.presynaptic();
        let neurons = self.layout.neurons();
        let lambda = self.config.lambda;
        match self.config.accumulation {
            Accumulation::Streaming => {
                self.counters.eligibility_flops += self.config.stream_flops(&self.layout);
                let Self {
                    config,
                    layout,
                    storage,
                    ..
                } = self;
                let r = split(storage.as_mut(), layout, config);
                let (xi, pre) = r.rows[..stride].split_at(neurons);
                for layer in layout.placed() {
                    stream_layer(r.e, r.g, layer, xi, pre, lambda, d, whole);
                }
            }
            Accumulation::Blocks(capacity) => {
                // The signals follow the step buffer's rows: `[signals (R) |
                // discounted (R)]`.
                let capacity = capacity as usize;
                let signals = self.rows_offset() + capacity * stride;
                let storage = self.storage.as_mut();
                storage[signals + row] = d;
                storage[signals + capacity + row] = d;
                self.rows += 1;
                if self.rows == capacity {
                    self.fold();
                }
            }
        }
        if let UpdateEvery::Steps(c) = self.config.update_every {
            if self.step_in_interval == u64::from(c) {
                self.fold();
                self.update_due = true;
            }
        }
        Ok(Recorded {
            signal,
            update_due: self.update_due,
        })
    }

    /// Folds the buffered rows into the estimate `G` and the trace `e`. For
    /// a recurrent layer:
    ///
    /// ```text
    /// D(s) = delta(s) + lambda D(s + 1)          (backwards over the block)
    /// G   += lambda D(0) e + sum_s D(s) xi(s) x(s)^T
    /// e    = lambda^L e + sum_s lambda^(L-1-s) xi(s) x(s)^T
    /// ```
    ///
    /// (the trace sum over the last [`Dopamine3Config::trace_rows`] rows);
    /// for a feed-forward layer `G += sum_s delta(s) xi(s) x(s)^T`. The
    /// whole-interval signal adds `sum_s xi(s) x(s)^T` to `G` instead.
    fn fold(&mut self) {
        let len = self.rows;
        if len == 0 || self.config.accumulation == Accumulation::Streaming {
            return;
        }
        self.rows = 0;
        self.counters.eligibility_flops += self.config.block_flops(&self.layout, len);
        let w = self.config.trace_rows(len);
        let Self {
            config,
            layout,
            storage,
            ..
        } = self;
        let lambda = config.lambda;
        let neurons = layout.neurons();
        let stride = neurons + layout.presynaptic();
        let r = split(storage.as_mut(), layout, config);
        let (signals, discounted) = (&mut r.signals[..len], &mut r.discounted[..len]);
        if matches!(config.signal, Signal::WholeInterval) {
            let rows = Rows {
                data: &*r.rows,
                stride,
                neurons,
            };
            for layer in layout.placed() {
                let g = &mut r.g[layer.param..layer.param + layer.layer.params()];
                add_products(g, layer, rows, None, 0..len);
            }
            return;
        }
        let recurrent = layout.layers().iter().any(|l| l.recurrent);
        if recurrent {
            for s in (0..len - 1).rev() {
                discounted[s] += lambda * discounted[s + 1];
            }
            let coef = &mut r.trace_coef[..len];
            coef[len - 1] = T::ONE;
            for s in (len - w..len - 1).rev() {
                coef[s] = lambda * coef[s + 1];
            }
        }
        // The carried trace and the trace's update, from the noise as it is.
        let decay = lambda.powf(T::from_usize(len));
        let rows = Rows {
            data: &*r.rows,
            stride,
            neurons,
        };
        for layer in layout.placed().filter(|l| l.layer.recurrent) {
            let range = layer.param..layer.param + layer.layer.params();
            let (g, e) = (&mut r.g[range.clone()], &mut r.e[range]);
            if lambda > T::ZERO {
                let c = lambda * discounted[0];
                for (g, e) in g.iter_mut().zip(e.iter()) {
                    *g += c * *e;
                }
                for e in e.iter_mut() {
                    *e *= decay;
                }
            } else {
                e.fill(T::ZERO);
            }
            add_products(e, layer, rows, Some(&r.trace_coef[..len]), len - w..len);
        }
        // Then each row's noise times its signal, in place, and `G`'s products.
        scale_noise(r.rows, stride, layout.placed(), signals, discounted);
        let rows = Rows {
            data: &*r.rows,
            stride,
            neurons,
        };
        for layer in layout.placed() {
            let g = &mut r.g[layer.param..layer.param + layer.layer.params()];
            add_products(g, layer, rows, None, 0..len);
        }
    }

    /// Applies the completed interval's estimate to `params`.
    ///
    /// # Errors
    /// [`Error::NodeProtocol`] when no update is due;
    /// [`Error::LengthMismatch`] when `params` does not have `P` values.
    pub fn update(&mut self, params: &mut [T]) -> Result<NodeUpdate<T>, Error> {
        if !self.update_due {
            return Err(Error::NodeProtocol("no update is due"));
        }
        check_len(self.layout.params(), params.len())?;
        Ok(self.apply_interval(params))
    }

    /// Ends a sequence (a sweep): applies the interval in progress, if it
    /// recorded a step (once-per-sweep updates happen here), and clears the
    /// trace, so that the next step starts a new sequence with no
    /// eligibility carried in. A stream never needs it.
    ///
    /// # Errors
    /// [`Error::NodeProtocol`] when a step is open;
    /// [`Error::LengthMismatch`] when `params` does not have `P` values.
    pub fn end_sequence(&mut self, params: &mut [T]) -> Result<Option<NodeUpdate<T>>, Error> {
        if self.open {
            return Err(Error::NodeProtocol(
                "a step is open: record it before ending the sequence",
            ));
        }
        check_len(self.layout.params(), params.len())?;
        let outcome = if self.update_due || self.step_in_interval > 0 {
            self.fold();
            Some(self.apply_interval(params))
        } else {
            None
        };
        let Self {
            config,
            layout,
            storage,
            ..
        } = self;
        split(storage.as_mut(), layout, config).e.fill(T::ZERO);
        Ok(outcome)
    }

    /// Ends a sequence without applying its interval: the accumulated
    /// estimate and the trace are dropped (read it first with
    /// [`Dopamine3::estimate`]), and the next step starts a new interval
    /// with fresh noise. For measuring estimates at fixed weights.
    ///
    /// # Errors
    /// [`Error::NodeProtocol`] when a step is open.
    pub fn discard_sequence(&mut self) -> Result<(), Error> {
        if self.open {
            return Err(Error::NodeProtocol(
                "a step is open: record it before discarding the sequence",
            ));
        }
        if self.update_due || self.step_in_interval > 0 {
            self.interval += 1;
        }
        self.rows = 0;
        self.step_in_interval = 0;
        self.update_due = false;
        self.delta_sum = T::ZERO;
        let Self {
            config,
            layout,
            storage,
            ..
        } = self;
        let r = split(storage.as_mut(), layout, config);
        r.g.fill(T::ZERO);
        r.e.fill(T::ZERO);
        Ok(())
    }

    /// The estimate of the interval so far, `G / sigma^2` (times the sum of
    /// the RPEs for the whole-interval signal), into `out` (`P` values):
    /// for the raw per-step signal, an estimate of minus the gradient of
    /// the interval's summed per-step losses. Folds the buffered rows
    /// first (which changes nothing but rounding).
    ///
    /// # Errors
    /// [`Error::NodeProtocol`] when a step is open;
    /// [`Error::LengthMismatch`] when `out` does not have `P` values.
    pub fn estimate(&mut self, out: &mut [T]) -> Result<(), Error> {
        if self.open {
            return Err(Error::NodeProtocol(
                "a step is open: record it before reading the estimate",
            ));
        }
        check_len(self.layout.params(), out.len())?;
        self.fold();
        let scale = self.scale();
        let Self {
            config,
            layout,
            storage,
            ..
        } = self;
        let r = split(storage.as_mut(), layout, config);
        for (o, g) in out.iter_mut().zip(r.g.iter()) {
            *o = *g * scale;
        }
        Ok(())
    }

    /// `1 / sigma^2`, times the RPE sum for the whole-interval signal.
    fn scale(&self) -> T {
        let inv = T::ONE / (self.config.sigma * self.config.sigma);
        match self.config.signal {
            Signal::WholeInterval => self.delta_sum * inv,
            _ => inv,
        }
    }

    /// Applies `G` (already folded), then starts the next interval.
    fn apply_interval(&mut self, params: &mut [T]) -> NodeUpdate<T> {
        let steps = self.step_in_interval;
        let scale = self.scale();
        let eta = self.config.eta * self.config.schedule.factor(self.interval);
        let correction = self.config.second_moment.map(|m| {
            let b = m.beta2.to_f64();
            T::from_f64(1.0 - libm::pow(b, (self.moment_steps + 1) as f64))
        });
        let p = self.layout.params() as u64;
        self.counters.eligibility_flops += apply_flops(p, correction.is_some());
        let Self {
            config,
            layout,
            storage,
            ..
        } = self;
        let r = split(storage.as_mut(), layout, config);
        let moment = match (config.second_moment, correction) {
            (Some(config), Some(correction)) => Some(Moment {
                config,
                u: r.u,
                correction,
            }),
            _ => None,
        };
        let result = apply(params, &mut *r.g, scale, eta, moment);
        r.g.fill(T::ZERO);
        if result.is_err() {
            // The credit that led to a refused update is not kept.
            r.e.fill(T::ZERO);
        }
        self.delta_sum = T::ZERO;
        self.interval += 1;
        self.step_in_interval = 0;
        self.update_due = false;
        match result {
            Ok(()) => {
                self.counters.updates += 1;
                self.counters.consecutive_rejected_updates = 0;
                if correction.is_some() {
                    self.moment_steps += 1;
                }
                NodeUpdate::Applied { eta, steps }
            }
            Err(reason) => {
                self.counters.rejected_updates += 1;
                self.counters.consecutive_rejected_updates += 1;
                NodeUpdate::Rejected { reason, steps }
            }
        }
    }
}
