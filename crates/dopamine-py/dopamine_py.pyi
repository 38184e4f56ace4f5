"""Dopamine: gradient-free training by weight perturbation whose learning rate
is set by a reward prediction error (RPE).

Every optimizer of the Rust optimizer registry, on float32/float64 numpy
arrays: WP, Dopamine-1, Dopamine-2, the evolution-strategy peers OpenES and
SNES, and the gradient methods SGD and Adam (`OPTIMIZERS` lists them). Each is
a class whose keyword arguments are the settings of its entry in a config
file, under the same names; its interface is that of its base class:
`PerturbationOptimizer` (population `ask`/`tell`, one-point
`ask_one`/`tell_one`, `step` with a loss function), `PopulationOptimizer`
(`ask`/`tell`, `step`) or `GradientOptimizer` (`step` with your gradient).
The noise, the rules and the safety net run in Rust (dopamine-core); the
formulas are in docs/algorithm.md.

Errors: wrong array types and dtypes raise TypeError; wrong shapes,
non-contiguous or read-only arrays, wrong numbers of losses and the kernel's
own checks (invalid settings, non-finite parameters) raise ValueError, the
kernel's checks with the kernel's message unchanged; an unknown keyword
argument, or one of the names settings had in release 0.2.0, raises
TypeError (the old name's message says the new one); calls out of protocol
order raise RuntimeError. On any error nothing changes, neither the
parameters nor the optimizer. A non-finite loss is not an error: the step is
rejected (`StepReport.rejected`) and the parameters are put back.
"""

from typing import Any, Callable, ClassVar, Final, Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: Final[str]
MAX_PROBES: Final[int]
"""The most probes a step can take (32)."""
MAX_RANK: Final[int]
"""The largest rank of low-rank noise (8)."""
MAX_BLOCKS: Final[int]
"""The most blocks a layout can hold (16)."""

Array = npt.NDArray[Union[np.float32, np.float64]]
"""A float32 or float64 ndarray (the optimizer's dtype)."""
Query = Tuple[str, Optional[int], Optional[str]]
"""`("baseline", None, None)` or `("probe", k, "plus" | "minus")`."""
Block = Union[int, Tuple[int, int]]
"""A layout block: an int is a vector of that length; `(m, n)` is an
`m x n` matrix stored in C order (as numpy and torch store it)."""
DTypeLike = Any
"""Anything `numpy.dtype()` turns into float32 or float64."""

class StepReport:
    """What one step did: updated the parameters or was rejected.

    Values are Python floats, exact copies of the optimizer's values. For a
    rejected step only `step`, `rejected` and `reason` are set; the other
    values are None. A value the method does not have is None too.
    """

    @property
    def step(self) -> int:
        """Index of the step this report is about (the noise keys' step)."""
    @property
    def rejected(self) -> bool:
        """True when the step was rejected; the parameters are back where the
        step began (up to the rounding of in-place restores)."""
    @property
    def updated(self) -> bool:
        """`not rejected`."""
    @property
    def reason(
        self,
    ) -> Optional[
        Literal["update_undone", "non_finite_baseline", "non_finite_probe", "update_too_large"]
    ]:
        """Why the step was rejected; None when it updated.

        - "update_undone": the loss right after an update was not finite; the
          update was undone (WP halves eta, Dopamine-2 clears its trace, a
          gradient method rolls its last update back and halves its rate).
        - "non_finite_baseline": the loss at the unperturbed parameters was
          not finite and there was no update to undo.
        - "non_finite_probe": a probe's loss was not finite; the probe was
          restored and the step abandoned.
        - "update_too_large": the update would have overflowed; skipped.
        """
    @property
    def baseline_loss(self) -> Optional[float]:
        """L(w) before the update (with baseline_from_probes, as for OpenES,
        the mean of the probe losses; for SNES the mean of the step's
        losses; for a gradient method the loss it was given)."""
    @property
    def mean_delta(self) -> Optional[float]:
        """The mean RPE of the step's probes (None for SNES and the gradient
        methods)."""
    @property
    def last_delta(self) -> Optional[float]:
        """The RPE of the last probe (None for SNES and the gradient
        methods)."""
    @property
    def eta(self) -> Optional[float]:
        """The scheduled learning rate of the step."""
    @property
    def effective_eta(self) -> Optional[float]:
        """The learning rate in WP units: eta for WP, eta * sigma / sqrt(v + eps)
        for the Dopamine rules; Adam's step size
        a = eta sqrt(1 - beta2^t) / (1 - beta1^t) for OpenES; eta for SNES;
        the learning rate for SGD and Adam."""
    @property
    def expected_rpe(self) -> Optional[float]:
        """The expected RPE b after the step (the Dopamine rules; None for the
        others)."""
    @property
    def surprise_size(self) -> Optional[float]:
        """The typical surprise sqrt(v) after the step (the Dopamine rules;
        None for the others)."""
    def to_dict(self) -> dict[str, Any]:
        """The report as a dict (for logging)."""

class Optimizer:
    """The base of every optimizer class: settings, dtype, pickling. It
    cannot be built directly.

    Parameters are a 1-D, C-contiguous, writable ndarray of the optimizer's
    dtype with `n_params` elements; the optimizer updates it in place.
    """

    @property
    def n_params(self) -> int:
        """Number of parameters."""
    @property
    def dtype(self) -> np.dtype[Any]:
        """numpy.float32 or numpy.float64."""
    @property
    def config(self) -> dict[str, Any]:
        """The keyword arguments that build a fresh optimizer with these
        settings, `type(opt)(**opt.config)`: every keyword, with the values
        given or their defaults (None where the default depends on the number
        of parameters, as for SNES's population)."""
    @property
    def step_index(self) -> int:
        """The index of the step in progress (= steps completed or rejected)."""
    @property
    def current_rate(self) -> float:
        """The learning rate in force now: after the schedule, WP's halvings
        on divergence and a gradient method's halvings on rollback (SNES: the
        mean's rate, eta)."""
    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickling: the settings and the whole state (rule state,
        per-parameter state, step, counters, a step in progress) in the
        training library's checked state format; a restored optimizer
        continues bit for bit. A damaged pickle raises ValueError."""

class PopulationOptimizer(Optimizer):
    """The methods every population method has: a step is a set of points,
    evaluated by the caller, then told back. The base of SNES and of
    `PerturbationOptimizer`; it cannot be built directly.
    """

    def ask(self, params: Array, out: Optional[Array] = None) -> Array:
        """Starts a step and returns its evaluation points, one per row of an
        `(n_points, n_params)` array.

        A perturbation optimizer's row e is what the one-point interface
        would evaluate at exchange e, bit for bit (`points_info` says which
        row is the baseline and which probe and side each other row is).
        With `out` (a writable C-contiguous array of that shape and the
        optimizer's dtype, not overlapping `params`) the points are written
        there and `out` is returned, without allocating. `params` is read,
        not changed: give the same array, unchanged, to `tell`. Calling
        `ask` again before `tell` gives the same points.

        Raises ValueError for non-finite parameters and, for SNES, for a
        distribution whose points could overflow (the kernel's messages),
        and RuntimeError during a one-point step.
        """
    def tell(
        self,
        params: Array,
        losses: Union[Sequence[float], npt.ArrayLike],
        *,
        on_nonfinite: Literal["reject", "raise"] = "reject",
    ) -> StepReport:
        """Finishes the step `ask` started and updates `params` in place.

        `losses` holds the loss of every row of the points, in row order (any
        1-D array-like of `n_points` numbers). For a perturbation optimizer
        the update is the one the same losses told one at a time would give,
        bit for bit.

        A non-finite loss rejects the step (on_nonfinite="reject", the
        default): the report says why and the parameters are back where the
        step began. With on_nonfinite="raise" it raises ValueError instead and
        nothing changes: the step stays pending for a corrected `tell`.

        Raises RuntimeError without a matching `ask`.
        """
    def step(self, params: Array, loss_fn: Callable[[Array], float]) -> StepReport:
        """One whole step: builds each point in turn into one scratch array,
        calls `loss_fn(point)` (the array is overwritten by the next point:
        copy it to keep it), then updates `params` in place. `params` does not
        move during the step. If `loss_fn` raises, the step is taken back and
        the exception propagates. `loss_fn` must not use this optimizer or
        change `params`. Raises RuntimeError while a population step (`ask`
        without `tell`) is pending."""
    @property
    def n_points(self) -> int:
        """Evaluation points per step (rows of `ask`'s array)."""
    @property
    def counters(self) -> dict[str, int]:
        """forward_passes, updates, undone_updates, rejected_probes (for SNES:
        steps rejected for a non-finite loss), non_finite_baselines,
        skipped_updates, consecutive_rejections."""
    @property
    def last_report(self) -> Optional[StepReport]:
        """The report of the last applied update, or None."""

class PerturbationOptimizer(PopulationOptimizer):
    """The perturbation optimizers' methods beyond the population interface:
    the one-point ask/tell and `step` with the parameters moved in place. The
    base of WP, Dopamine1, Dopamine2 and OpenES; it cannot be built directly.
    """

    def ask_one(self, params: Array) -> Query:
        """Moves `params` in place to where the next loss is wanted and says
        which point it is: `("baseline", None, None)` or
        `("probe", k, "plus" | "minus")`. Calling it again before `tell_one`
        changes nothing. Raises RuntimeError while a population step (`ask`
        without `tell`) is pending."""
    def tell_one(self, params: Array, loss: float) -> Optional[StepReport]:
        """Takes the loss at the point `ask_one` prepared: restores a probe,
        moves on, updates or undoes. Returns None while the step goes on and a
        StepReport when it ends (updated or rejected). Raises RuntimeError
        without a matching `ask_one`."""
    def step(self, params: Array, loss_fn: Callable[[Array], float]) -> StepReport:
        """One whole step: calls `loss_fn(params)` with `params` moved in place
        to each point (baseline, then probes), then updates.

        If `loss_fn` raises (or returns something that is not a number), the
        exchange it was evaluating is taken back — a probe's perturbation is
        restored in place and the optimizer's state is as before that
        exchange — and the exception propagates; calling `step` again
        continues the step. `loss_fn` must not call this optimizer.
        """
    @property
    def points_info(self) -> list[Query]:
        """What each row of `ask`'s points is, as `ask_one` would say it."""
    @property
    def is_perturbed(self) -> bool:
        """True while `params` hold a probe's perturbation (between an
        `ask_one` for a probe and its `tell_one`)."""
    @property
    def layout(self) -> Optional[list[Block]]:
        """None (one flat vector) or the layout's blocks."""

class GradientOptimizer(Optimizer):
    """The gradient methods' step: you compute the loss and its gradient (with
    torch, jax, ...), the optimizer updates the parameters in place. The base
    of SGD and Adam; it cannot be built directly.

    A non-finite loss or gradient after an update rolls that update back (the
    parameters are put back where it started), halves the learning rate and
    reports the step as rejected (reason "update_undone"); before any update
    there is nothing to roll back: ValueError, and nothing changes.
    """

    def step(
        self, params: Array, grad: Union[Sequence[float], npt.ArrayLike], loss: float
    ) -> StepReport:
        """One step: `grad` is the gradient of the loss at `params` (any 1-D
        array-like of `n_params` numbers) and `loss` its value; updates
        `params` in place, or rolls the last update back, and returns the
        report (baseline_loss is `loss`, eta and effective_eta the step's
        learning rate)."""

def _restore(state: bytes) -> Optimizer:
    """Rebuilds an optimizer from the bytes its `__reduce__` wrote (pickle's
    entry point)."""

# ---- Generated from the optimizer registry by tests/stub.rs (DOPAMINE_BLESS=1 cargo test -p dopamine-py --test stub): edit the registry, not this part. ----

class WP(PerturbationOptimizer):
    """WP (weight perturbation): `w += eta/K sum_k (delta_k / sigma) z_k` with the
    reward prediction errors `delta_k`, stochastic gradient descent on a
    forward-only estimate of the gradient.

    A perturbation optimizer: population `ask`/`tell`, one-point
    `ask_one`/`tell_one` and `step(params, loss_fn)` (see
    `PerturbationOptimizer`).

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `wp` optimizer, under the same names.

    - n_params: Number of parameters (optional with `layout`: the sum of its
      blocks).
    - layout: The parameters as blocks, in order: an int is a vector of that
      length, `(m, n)` an `m x n` matrix stored in C order (as numpy and torch
      store it). Needed for `rank`; `None`: one flat vector.
    - sigma: Perturbation scale `sigma` (> 0; default 0.001).
    - eta: Learning rate `eta` (> 0; default 0.01).
    - probes: Probes per step `K` (1..=32; default 1).
    - antithetic: Antithetic RPE, `delta = (L(w - sigma z) - L(w + sigma z)) /
      2` (default false).
    - cosine_to: Cosine-decay `eta` to this fraction (default none).
    - total_steps: Steps of the cosine schedule (default: the run's step
      budget).
    - every: Step schedule: multiply `eta` by `factor` every `every` steps.
    - factor: The step schedule's factor, in (0, 1].
    - noise: The probes' noise, `gaussian` or `rademacher` (default gaussian).
    - halve_on_divergence: Halve `eta` each time an update is undone because the
      loss after it was not finite (default true).
    - rank: Low-rank probes of this rank: each matrix block of the parameters'
      layout is perturbed by `A B^T / sqrt(rank)` (perturbation rules and
      OpenES). (An option: in a config, a field of `options`.)
    - baseline_from_probes: With antithetic RPE, skip the baseline evaluation:
      the safety net works from the probes' losses and a step costs exactly `2K`
      passes (perturbation rules only). (An option: in a config, a field of
      `options`.)
    - seed: Seed of every noise stream, in [0, 2**64).
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.

    Renamed since 0.2.0 (the old names are refused, naming the new ones): `rpe`
    -> `antithetic`, `baseline` -> `baseline_from_probes`, `final_fraction` ->
    `cosine_to`, `schedule` -> `cosine_to` or `every` and `factor`.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"wp"`.
    """
    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 0.001,
        eta: float = 0.01,
        probes: int = 1,
        antithetic: bool = False,
        cosine_to: Optional[float] = None,
        total_steps: Optional[int] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        halve_on_divergence: bool = True,
        rank: Optional[int] = None,
        baseline_from_probes: bool = False,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...
    @property
    def eta_scale(self) -> float:
        """The factor (a power of 1/2) that divergences have put on `eta`.
        """

class OpenES(PerturbationOptimizer):
    """OpenES (Salimans et al. 2017): antithetic pairs `w +- sigma z_k`, centred
    ranks of all `2K` losses, and Adam on the search gradient `g = 1/(2K sigma)
    sum_k (u_k+ - u_k-) z_k`; Adam's input is `-g + l2 w`. A step evaluates the
    `2K` points without a baseline; a non-finite loss after an update undoes it
    and restarts Adam.

    A perturbation optimizer: population `ask`/`tell`, one-point
    `ask_one`/`tell_one` and `step(params, loss_fn)` (see
    `PerturbationOptimizer`).

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `openes` optimizer, under the same names.

    - n_params: Number of parameters (optional with `layout`: the sum of its
      blocks).
    - layout: The parameters as blocks, in order: an int is a vector of that
      length, `(m, n)` an `m x n` matrix stored in C order (as numpy and torch
      store it). Needed for `rank`; `None`: one flat vector.
    - sigma: Noise scale `sigma` (the starter code's `noise_stdev`; default
      0.001).
    - eta: Adam's step size on the search gradient (default 0.01).
    - pairs: Antithetic pairs `K` per step (`2K` forward passes; default 1).
    - cosine_to: Cosine-decay `eta` to this fraction (default none).
    - total_steps: Steps of the cosine schedule (default: the run's step
      budget).
    - every: Step schedule: multiply `eta` by `factor` every `every` steps.
    - factor: The step schedule's factor, in (0, 1].
    - noise: The probes' noise, `gaussian` or `rademacher` (default gaussian).
    - l2: L2 coefficient added to Adam's input (`l2 theta`; default 0: none).
    - beta1: Adam's first-moment factor, in [0, 1) (default 0.9).
    - beta2: Adam's second-moment factor, in [0, 1) (default 0.999).
    - eps: Added to Adam's `sqrt(v)`, > 0 (default 1e-8).
    - rank: Low-rank probes of this rank: each matrix block of the parameters'
      layout is perturbed by `A B^T / sqrt(rank)` (perturbation rules and
      OpenES). (An option: in a config, a field of `options`.)
    - seed: Seed of every noise stream, in [0, 2**64).
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.

    Renamed since 0.2.0 (the old names are refused, naming the new ones):
    `probes` -> `pairs`, `final_fraction` -> `cosine_to`, `schedule` ->
    `cosine_to` or `every` and `factor`.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"openes"`.
    """
    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 0.001,
        eta: float = 0.01,
        pairs: int = 1,
        cosine_to: Optional[float] = None,
        total_steps: Optional[int] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        l2: float = 0.0,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        rank: Optional[int] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...
    @property
    def moments(self) -> Tuple[Array, Array]:
        """Copies of Adam's moments `(m, v)`, one value per parameter each.
        """
    @property
    def adam_steps(self) -> int:
        """Adam steps since the moments were last cleared (by an undo).
        """

class SNES(PopulationOptimizer):
    """SNES, separable natural evolution strategies (Schaul, Glasmachers and
    Schmidhuber 2011): a Gaussian search distribution around the parameters (its
    mean `mu`) with one `sigma` per parameter. A step samples `population`
    points `mu + sigma * s_k`, ranks their losses into utilities `u_k`, and
    updates `mu += eta * sigma * sum_k u_k s_k` and `sigma *= exp(eta_sigma / 2
    * sum_k u_k (s_k^2 - 1))`. The noise is Gaussian and full rank.

    A population method: `ask`/`tell` and `step(params, loss_fn)` (see
    `PopulationOptimizer`); it has no one-point interface.

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `snes` optimizer, under the same names.

    - n_params: Number of parameters.
    - sigma: Initial `sigma` of every parameter, > 0 (default 0.1).
    - eta: Learning rate of the mean `eta_mu`, > 0 (the paper's 1 by default).
    - population: Points per step `lambda` (= forward passes per step), 2..=256
      (default the paper's `4 + floor(3 ln d)`).
    - eta_sigma: Learning rate of `sigma`, >= 0 (default the paper's `(3 + ln d)
      / (5 sqrt d)`).
    - seed: Seed of every noise stream, in [0, 2**64).
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.

    Renamed since 0.2.0 (the old names are refused, naming the new ones):
    `sigma0` -> `sigma`, `eta_mu` -> `eta`.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"snes"`.
    """
    def __init__(
        self,
        n_params: int,
        *,
        sigma: float = 0.1,
        eta: float = 1.0,
        population: Optional[int] = None,
        eta_sigma: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...
    @property
    def sigma(self) -> Array:
        """A copy of the per-parameter step sizes `sigma`.
        """

class Dopamine1(PerturbationOptimizer):
    """Dopamine-1: WP whose learning rate is set by adaptive coding of the reward
    prediction error, `w += eta/K sum_k D_k z_k` with `D_k = (delta_k - b) /
    sqrt(v + eps)`, `b` and `v` running averages of the RPE and of its surprise.

    A perturbation optimizer: population `ask`/`tell`, one-point
    `ask_one`/`tell_one` and `step(params, loss_fn)` (see
    `PerturbationOptimizer`).

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `dopamine1` optimizer, under the same names.

    - n_params: Number of parameters (optional with `layout`: the sum of its
      blocks).
    - layout: The parameters as blocks, in order: an int is a vector of that
      length, `(m, n)` an `m x n` matrix stored in C order (as numpy and torch
      store it). Needed for `rank`; `None`: one flat vector.
    - sigma: Perturbation scale `sigma` (> 0; default 0.001).
    - eta: Learning rate `eta` (> 0; default 0.01).
    - probes: Probes per step `K` (1..=32; default 1).
    - antithetic: Antithetic RPE, `delta = (L(w - sigma z) - L(w + sigma z)) /
      2` (default false).
    - cosine_to: Cosine-decay `eta` to this fraction (default none).
    - total_steps: Steps of the cosine schedule (default: the run's step
      budget).
    - every: Step schedule: multiply `eta` by `factor` every `every` steps.
    - factor: The step schedule's factor, in (0, 1].
    - noise: The probes' noise, `gaussian` or `rademacher` (default gaussian).
    - beta: Factor of the running averages of the RPE statistics, in [0, 1)
      (default 0.9).
    - eps: Floor of the surprise variance, > 0 (default 1e-12).
    - bias_correction: Divide the running averages by `1 - beta^t` (default
      true).
    - rank: Low-rank probes of this rank: each matrix block of the parameters'
      layout is perturbed by `A B^T / sqrt(rank)` (perturbation rules and
      OpenES). (An option: in a config, a field of `options`.)
    - baseline_from_probes: With antithetic RPE, skip the baseline evaluation:
      the safety net works from the probes' losses and a step costs exactly `2K`
      passes (perturbation rules only). (An option: in a config, a field of
      `options`.)
    - second_moment: Per-synapse second-moment normalisation of the coded update
      with this `beta2` (Dopamine-1 and Dopamine-2 only). (An option: in a
      config, a field of `options`.)
    - seed: Seed of every noise stream, in [0, 2**64).
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.

    Renamed since 0.2.0 (the old names are refused, naming the new ones): `rpe`
    -> `antithetic`, `baseline` -> `baseline_from_probes`, `final_fraction` ->
    `cosine_to`, `schedule` -> `cosine_to` or `every` and `factor`.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"dopamine1"`.
    """
    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 0.001,
        eta: float = 0.01,
        probes: int = 1,
        antithetic: bool = False,
        cosine_to: Optional[float] = None,
        total_steps: Optional[int] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        beta: float = 0.9,
        eps: float = 1e-12,
        bias_correction: bool = True,
        rank: Optional[int] = None,
        baseline_from_probes: bool = False,
        second_moment: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...
    @property
    def expected_rpe(self) -> float:
        """The expected RPE `b` (bias-corrected when enabled).
        """
    @property
    def surprise_variance(self) -> float:
        """The surprise variance `v` (bias-corrected when enabled).
        """

class Dopamine2(PerturbationOptimizer):
    """Dopamine-2: Dopamine-1's coded signal gated into a per-synapse eligibility
    trace, `e = lambda e + (1/K) sum_k D_k z_k`, `w += eta (1 - lambda) e`.

    A perturbation optimizer: population `ask`/`tell`, one-point
    `ask_one`/`tell_one` and `step(params, loss_fn)` (see
    `PerturbationOptimizer`).

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `dopamine2` optimizer, under the same names.

    - n_params: Number of parameters (optional with `layout`: the sum of its
      blocks).
    - layout: The parameters as blocks, in order: an int is a vector of that
      length, `(m, n)` an `m x n` matrix stored in C order (as numpy and torch
      store it). Needed for `rank`; `None`: one flat vector.
    - sigma: Perturbation scale `sigma` (> 0; default 0.001).
    - eta: Learning rate `eta` (> 0; default 0.01).
    - probes: Probes per step `K` (1..=32; default 1).
    - antithetic: Antithetic RPE, `delta = (L(w - sigma z) - L(w + sigma z)) /
      2` (default false).
    - cosine_to: Cosine-decay `eta` to this fraction (default none).
    - total_steps: Steps of the cosine schedule (default: the run's step
      budget).
    - every: Step schedule: multiply `eta` by `factor` every `every` steps.
    - factor: The step schedule's factor, in (0, 1].
    - noise: The probes' noise, `gaussian` or `rademacher` (default gaussian).
    - beta: Factor of the running averages of the RPE statistics, in [0, 1)
      (default 0.9).
    - eps: Floor of the surprise variance, > 0 (default 1e-12).
    - bias_correction: Divide the running averages by `1 - beta^t` (default
      true).
    - lambda_: Decay of the eligibility trace, in [0, 1) (default 0.5).
    - rank: Low-rank probes of this rank: each matrix block of the parameters'
      layout is perturbed by `A B^T / sqrt(rank)` (perturbation rules and
      OpenES). (An option: in a config, a field of `options`.)
    - baseline_from_probes: With antithetic RPE, skip the baseline evaluation:
      the safety net works from the probes' losses and a step costs exactly `2K`
      passes (perturbation rules only). (An option: in a config, a field of
      `options`.)
    - second_moment: Per-synapse second-moment normalisation of the coded update
      with this `beta2` (Dopamine-1 and Dopamine-2 only). (An option: in a
      config, a field of `options`.)
    - seed: Seed of every noise stream, in [0, 2**64).
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.

    Renamed since 0.2.0 (the old names are refused, naming the new ones): `rpe`
    -> `antithetic`, `baseline` -> `baseline_from_probes`, `final_fraction` ->
    `cosine_to`, `schedule` -> `cosine_to` or `every` and `factor`.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"dopamine2"`.
    """
    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 0.001,
        eta: float = 0.01,
        probes: int = 1,
        antithetic: bool = False,
        cosine_to: Optional[float] = None,
        total_steps: Optional[int] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        beta: float = 0.9,
        eps: float = 1e-12,
        bias_correction: bool = True,
        lambda_: float = 0.5,
        rank: Optional[int] = None,
        baseline_from_probes: bool = False,
        second_moment: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...
    @property
    def expected_rpe(self) -> float:
        """The expected RPE `b` (bias-corrected when enabled).
        """
    @property
    def surprise_variance(self) -> float:
        """The surprise variance `v` (bias-corrected when enabled).
        """
    @property
    def trace(self) -> Array:
        """A copy of the eligibility trace (one value per parameter).
        """
    @property
    def lambda_(self) -> float:
        """The trace decay `lambda`.
        """

class SGD(GradientOptimizer):
    """SGD with heavy-ball momentum on the gradient of the loss (backpropagation or
    BPTT), `v = momentum v + g`, `w -= lr v`; an update followed by a non-finite
    loss is rolled back and the learning rate halved.

    A gradient method: `step(params, grad, loss)` updates `params` in place from
    your gradient (see `GradientOptimizer`).

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `sgd` optimizer, under the same names.

    - n_params: Number of parameters.
    - lr: Learning rate (default 0.01).
    - momentum: Heavy-ball momentum, in [0, 1) (default 0.9).
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"sgd"`.
    """
    def __init__(
        self,
        n_params: int,
        *,
        lr: float = 0.01,
        momentum: float = 0.9,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...

class Adam(GradientOptimizer):
    """Adam (Kingma and Ba 2015) on the gradient of the loss (backpropagation or
    BPTT), second moment `beta2 = 0.999`, `eps = 1e-8`; an update followed by a
    non-finite loss is rolled back and the learning rate halved.

    A gradient method: `step(params, grad, loss)` updates `params` in place from
    your gradient (see `GradientOptimizer`).

    Keyword arguments (keyword-only except `n_params`): the settings and options
    of a config's `adam` optimizer, under the same names.

    - n_params: Number of parameters.
    - lr: Learning rate (default 0.001).
    - beta1: Adam's first-moment factor (Adam only; none: 0.9). (An option: in a
      config, a field of `options`.)
    - dtype: The parameters' dtype and the optimizer's arithmetic: numpy.float64
      (`None`, the default) or numpy.float32.
    """

    kind: ClassVar[str]
    """The config's `kind` of this optimizer: `"adam"`.
    """
    def __init__(
        self,
        n_params: int,
        *,
        lr: float = 0.001,
        beta1: Optional[float] = None,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...

OPTIMIZERS: Final[list[dict[str, Any]]]
"""Every optimizer of the registry, in its order: a dict with `kind` (a
config's tag), `name` (as reports print it), `family` ("perturbation",
"evolution strategy" or "gradient"), `class` (its class, or None),
`excluded` (why it has no class, or None) and `renamed` (old setting names
and their new names).

- WP: `WP`, a perturbation optimizer.
- OpenES: `OpenES`, a perturbation optimizer.
- SNES: `SNES`, a population method.
- Dopamine-1: `Dopamine1`, a perturbation optimizer.
- Dopamine-2: `Dopamine2`, a perturbation optimizer.
- Dopamine-3: no class: Dopamine-3 perturbs the model's neurons, not a flat
  parameter vector: it trains the Rust RNN and MLP objectives
  (dopamine-train), which the bindings do not expose
- SGD: `SGD`, a gradient method.
- Adam: `Adam`, a gradient method.
"""
