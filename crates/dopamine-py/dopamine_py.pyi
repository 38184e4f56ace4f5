"""Dopamine: gradient-free training by weight perturbation whose learning rate
is set by a reward prediction error (RPE).

WP, Dopamine-1, Dopamine-2 and the evolution-strategy peers OpenES and SNES
on float32/float64 numpy arrays, with a population interface (`ask` /
`tell`), a one-point interface (`ask_one` / `tell_one`; not SNES, which has
none in Rust either) and `step`. The noise, the rules and the safety net run
in Rust (dopamine-core); the formulas are in docs/algorithm.md.

Errors: wrong array types and dtypes raise TypeError; wrong shapes,
non-contiguous or read-only arrays, wrong numbers of losses and the kernel's
own checks (invalid settings, non-finite parameters) raise ValueError, the
kernel's checks with the kernel's message unchanged; calls out of protocol
order raise RuntimeError. On any error nothing changes, neither the
parameters nor the optimizer. A non-finite loss is not an error: the step is
rejected (`StepReport.rejected`) and the parameters are put back.
"""

from typing import Any, Callable, Final, Literal, Optional, Sequence, Tuple, Union

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
    values are None.
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
          update was undone (WP halves eta, Dopamine-2 clears its trace).
        - "non_finite_baseline": the loss at the unperturbed parameters was
          not finite and there was no update to undo.
        - "non_finite_probe": a probe's loss was not finite; the probe was
          restored and the step abandoned.
        - "update_too_large": the update would have overflowed; skipped.
        """
    @property
    def baseline_loss(self) -> Optional[float]:
        """L(w) before the update (with baseline="from_probes", as for OpenES,
        the mean of the probe losses; for SNES the mean of the step's
        losses)."""
    @property
    def mean_delta(self) -> Optional[float]:
        """The mean RPE of the step's probes (None for SNES)."""
    @property
    def last_delta(self) -> Optional[float]:
        """The RPE of the last probe (None for SNES)."""
    @property
    def eta(self) -> Optional[float]:
        """The scheduled learning rate of the step."""
    @property
    def effective_eta(self) -> Optional[float]:
        """The learning rate in WP units: eta for WP, eta * sigma / sqrt(v + eps)
        for the Dopamine rules; Adam's step size
        a = eta sqrt(1 - beta2^t) / (1 - beta1^t) for OpenES; eta_mu for SNES."""
    @property
    def expected_rpe(self) -> Optional[float]:
        """The expected RPE b after the step (the Dopamine rules; None for WP,
        OpenES and SNES)."""
    @property
    def surprise_size(self) -> Optional[float]:
        """The typical surprise sqrt(v) after the step (the Dopamine rules;
        None for WP, OpenES and SNES)."""
    def to_dict(self) -> dict[str, Any]:
        """The report as a dict (for logging)."""

class PerturbationOptimizer:
    """The methods every perturbation optimizer shares: the base class of
    `WP`, `Dopamine1`, `Dopamine2` and `OpenES` (it cannot be built
    directly).

    Parameters are a 1-D, C-contiguous, writable ndarray of the optimizer's
    dtype with `n_params` elements; the optimizer updates it in place.
    """

    def ask(self, params: Array, out: Optional[Array] = None) -> Array:
        """Starts a step and returns its evaluation points, one per row of an
        `(n_points, n_params)` array.

        Row e is what the one-point interface would evaluate at exchange e,
        bit for bit; `points_info` says which row is the baseline and which
        probe and side each other row is. With `out` (a writable
        C-contiguous array of that shape and the optimizer's dtype, not
        overlapping `params`) the points are written there and `out` is
        returned, without allocating. `params` is read, not changed: give
        the same array, unchanged, to `tell`. Calling `ask` again before
        `tell` gives the same points.

        Raises ValueError for non-finite parameters (the kernel's message)
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
        1-D array-like of `n_points` numbers). The update is the one the same
        losses told one at a time would give, bit for bit.

        A non-finite loss rejects the step (on_nonfinite="reject", the
        default): the report says why and the parameters are back where the
        step began. With on_nonfinite="raise" it raises ValueError instead and
        nothing changes: the step stays pending for a corrected `tell`.

        Raises RuntimeError without a matching `ask`.
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
    def n_params(self) -> int:
        """Number of parameters."""
    @property
    def dtype(self) -> np.dtype[Any]:
        """numpy.float32 or numpy.float64."""
    @property
    def n_points(self) -> int:
        """Evaluation points per step (rows of `ask`'s array): the baseline
        (unless baseline="from_probes") plus one (forward) or two (antithetic)
        per probe."""
    @property
    def points_info(self) -> list[Query]:
        """What each row of `ask`'s points is, as `ask_one` would say it."""
    @property
    def step_index(self) -> int:
        """The index of the step in progress (= steps completed or rejected)."""
    @property
    def is_perturbed(self) -> bool:
        """True while `params` hold a probe's perturbation (between an
        `ask_one` for a probe and its `tell_one`)."""
    @property
    def counters(self) -> dict[str, int]:
        """forward_passes, updates, undone_updates, rejected_probes,
        non_finite_baselines, skipped_updates, consecutive_rejections."""
    @property
    def last_report(self) -> Optional[StepReport]:
        """The report of the last applied update, or None."""
    @property
    def config(self) -> dict[str, Any]:
        """The keyword arguments that build a fresh optimizer with these
        settings: `type(opt)(**opt.config)`."""
    @property
    def layout(self) -> Optional[list[Block]]:
        """None (one flat vector) or the layout's blocks."""
    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickling: the whole state (settings, rule state, trace, step,
        counters, a step in progress); a restored optimizer continues bit for
        bit."""

class WP(PerturbationOptimizer):
    """Weight perturbation: w += eta * (1/K) * sum_k (delta_k / sigma) z_k,
    stochastic gradient descent on a forward-only gradient estimate.

    Settings (keyword-only except `n_params`), shared by every rule:

    - n_params: number of parameters (optional when `layout` is given).
    - layout: blocks covering the parameters in order: ints (vectors) and
      `(m, n)` pairs (C-ordered `m x n` matrices); needed for `rank`.
    - sigma: perturbation scale (> 0). eta: learning rate (> 0).
    - probes: probes per step K, 1..MAX_PROBES.
    - rpe: "forward" (delta = L(w) - L(w + sigma z)) or "antithetic"
      (delta = (L(w - sigma z) - L(w + sigma z)) / 2).
    - baseline: "evaluate" (L(w) first) or "from_probes" (skip it;
      antithetic only).
    - noise: "gaussian" or "rademacher".
    - rank: low-rank noise A B^T / sqrt(rank) on every matrix block.
    - schedule: "constant"; "cosine" with total_steps and final_fraction
      (default 0); "step" with every and factor.
    - seed: seed of every noise stream, in [0, 2**64).
    - dtype: numpy.float64 (default) or numpy.float32.

    WP's own: halve_on_divergence (halve eta each time an update is undone
    because the loss after it was not finite).
    """

    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 1e-3,
        eta: float = 1e-2,
        probes: int = 1,
        rpe: Literal["forward", "antithetic"] = "forward",
        baseline: Literal["evaluate", "from_probes"] = "evaluate",
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        rank: Optional[int] = None,
        schedule: Literal["constant", "cosine", "step"] = "constant",
        total_steps: Optional[int] = None,
        final_fraction: Optional[float] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
        halve_on_divergence: bool = True,
    ) -> None: ...
    @property
    def eta_scale(self) -> float:
        """The factor (a power of 1/2) that divergences have put on eta."""

class Dopamine1(PerturbationOptimizer):
    """Dopamine-1: WP whose learning rate is set by adaptive coding of the RPE,
    w += eta * (1/K) * sum_k D_k z_k with D_k = (delta_k - b) / sqrt(v + eps).

    Takes every setting of `WP` except halve_on_divergence, and the RPE
    statistics' settings: beta (factor of the running averages, in [0, 1)),
    eps (floor of the surprise variance, > 0), bias_correction (divide the
    averages by 1 - beta^t).
    """

    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 1e-3,
        eta: float = 1e-2,
        probes: int = 1,
        rpe: Literal["forward", "antithetic"] = "forward",
        baseline: Literal["evaluate", "from_probes"] = "evaluate",
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        rank: Optional[int] = None,
        schedule: Literal["constant", "cosine", "step"] = "constant",
        total_steps: Optional[int] = None,
        final_fraction: Optional[float] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
        beta: float = 0.9,
        eps: float = 1e-12,
        bias_correction: bool = True,
    ) -> None: ...
    @property
    def expected_rpe(self) -> float:
        """The expected RPE b (bias-corrected when enabled)."""
    @property
    def surprise_variance(self) -> float:
        """The surprise variance v (bias-corrected when enabled)."""

class Dopamine2(PerturbationOptimizer):
    """Dopamine-2: Dopamine-1's signal gated into a per-synapse eligibility
    trace, e = lambda e + (1/K) sum_k D_k z_k, w += eta (1 - lambda) e.

    Takes every setting of `Dopamine1` and lambda_, the trace decay in
    [0, 1). The optimizer owns the trace (one value per parameter).
    """

    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 1e-3,
        eta: float = 1e-2,
        probes: int = 1,
        rpe: Literal["forward", "antithetic"] = "forward",
        baseline: Literal["evaluate", "from_probes"] = "evaluate",
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        rank: Optional[int] = None,
        schedule: Literal["constant", "cosine", "step"] = "constant",
        total_steps: Optional[int] = None,
        final_fraction: Optional[float] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
        beta: float = 0.9,
        eps: float = 1e-12,
        bias_correction: bool = True,
        lambda_: float = 0.5,
    ) -> None: ...
    @property
    def expected_rpe(self) -> float:
        """The expected RPE b (bias-corrected when enabled)."""
    @property
    def surprise_variance(self) -> float:
        """The surprise variance v (bias-corrected when enabled)."""
    @property
    def trace(self) -> Array:
        """A copy of the eligibility trace (one value per parameter)."""
    @property
    def lambda_(self) -> float:
        """The trace decay lambda."""

class OpenES(PerturbationOptimizer):
    """OpenES (Salimans et al. 2017): antithetic pairs w +- sigma z_k, centred
    ranks u of all 2K losses, and Adam on the search gradient
    g = 1/(2K sigma) sum_k (u_k+ - u_k-) z_k (ascent on -L); Adam's input is
    -g + l2 w.

    A perturbation optimizer like the others: population `ask`/`tell` (2K
    points per step, the plus then the minus point of each pair), one-point
    `ask_one`/`tell_one` and `step`. Takes every setting of `WP` except
    halve_on_divergence: sigma is the starter code's noise_stdev, eta Adam's
    step size, probes the number of pairs K, and rpe="antithetic",
    baseline="from_probes" are the defaults and the only values OpenES runs
    with (others raise the kernel's ValueError). Adam's settings, with the
    Rust defaults: beta1 and beta2 (in [0, 1)), eps (> 0, added to sqrt(v)),
    l2 (>= 0; the starter code's l2coeff is sigma * l2). A non-finite loss
    after an update undoes it and restarts Adam.
    """

    def __init__(
        self,
        n_params: Optional[int] = None,
        *,
        layout: Optional[Sequence[Block]] = None,
        sigma: float = 1e-3,
        eta: float = 1e-2,
        probes: int = 1,
        rpe: Literal["antithetic"] = "antithetic",
        baseline: Literal["from_probes"] = "from_probes",
        noise: Literal["gaussian", "rademacher"] = "gaussian",
        rank: Optional[int] = None,
        schedule: Literal["constant", "cosine", "step"] = "constant",
        total_steps: Optional[int] = None,
        final_fraction: Optional[float] = None,
        every: Optional[int] = None,
        factor: Optional[float] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        l2: float = 0.0,
    ) -> None: ...
    @property
    def moments(self) -> Tuple[Array, Array]:
        """Copies of Adam's moments (m, v), one value per parameter each."""
    @property
    def adam_steps(self) -> int:
        """Adam steps since the moments were last cleared (by an undo)."""

class SNES:
    """SNES, separable natural evolution strategies (Schaul, Glasmachers and
    Schmidhuber 2011): a Gaussian search distribution around the parameters
    (its mean mu) with one sigma per parameter. A step samples `population`
    points mu + sigma * s_k, ranks their losses into utilities u_k, and
    updates mu += eta_mu * sigma * sum_k u_k s_k and
    sigma *= exp(eta_sigma / 2 * sum_k u_k (s_k^2 - 1)).

    Population interface only (`ask`/`tell`, and `step`): there is no
    `ask_one`/`tell_one`, because the Rust SNES has no one-point interface
    (a point evaluated in place would have to be restored to mu, which
    floating point does only to within an ulp). Not a `PerturbationOptimizer`.

    Settings, the Rust SnesConfig with its defaults for d = n_params:
    sigma0 (initial sigma of every parameter, > 0; required), eta_mu (> 0,
    default 1), eta_sigma (>= 0, default (3 + ln d) / (5 sqrt d)),
    population (2..256, default 4 + floor(3 ln d)), seed, dtype. The noise is
    Gaussian and full rank.

    Errors as for the perturbation optimizers; on any error nothing changes.
    A non-finite loss rejects the step (reason "non_finite_probe") and an
    update that would overflow is skipped ("update_too_large"); either way
    the parameters and sigma are exactly as they were.
    """

    def __init__(
        self,
        n_params: int,
        *,
        sigma0: float,
        eta_mu: float = 1.0,
        eta_sigma: Optional[float] = None,
        population: Optional[int] = None,
        seed: int = 0,
        dtype: Optional[DTypeLike] = None,
    ) -> None: ...
    def ask(self, params: Array, out: Optional[Array] = None) -> Array:
        """Starts a step and returns its `population` points mu + sigma * s_k,
        one per row of an `(n_points, n_params)` array (or written into `out`,
        which is returned). `params` (the mean) is read, not changed: give the
        same array, unchanged, to `tell`. Calling `ask` again before `tell`
        gives the same points. Raises ValueError for non-finite parameters and
        for a distribution whose points could overflow (the kernel's
        messages)."""
    def tell(
        self,
        params: Array,
        losses: Union[Sequence[float], npt.ArrayLike],
        *,
        on_nonfinite: Literal["reject", "raise"] = "reject",
    ) -> StepReport:
        """Finishes the step `ask` started with the loss of every row of its
        points, in order: updates `params` (the mean) in place and sigma, and
        returns the report (baseline_loss is the mean of the losses, eta and
        effective_eta are eta_mu, the RPE fields are None). A non-finite loss
        rejects the step and changes nothing (on_nonfinite="reject") or
        raises ValueError and leaves the step pending (on_nonfinite="raise").
        Raises RuntimeError without a matching `ask`."""
    def step(self, params: Array, loss_fn: Callable[[Array], float]) -> StepReport:
        """One whole step: builds each point in turn into one scratch array,
        calls `loss_fn(point)` (the array is overwritten by the next point:
        copy it to keep it), then updates `params` in place. `params` does not
        move during the step. If `loss_fn` raises, the step is taken back and
        the exception propagates. `loss_fn` must not use this optimizer or
        change `params`. Raises RuntimeError while a population step (`ask`
        without `tell`) is pending."""
    @property
    def n_params(self) -> int:
        """Number of parameters."""
    @property
    def dtype(self) -> np.dtype[Any]:
        """numpy.float32 or numpy.float64."""
    @property
    def n_points(self) -> int:
        """Points per step (rows of `ask`'s array): the population size."""
    @property
    def step_index(self) -> int:
        """The index of the step in progress (= steps completed or rejected)."""
    @property
    def counters(self) -> dict[str, int]:
        """forward_passes, updates, undone_updates (always 0), rejected_probes
        (steps rejected for a non-finite loss), non_finite_baselines (always
        0), skipped_updates, consecutive_rejections."""
    @property
    def last_report(self) -> Optional[StepReport]:
        """The report of the last applied update, or None."""
    @property
    def config(self) -> dict[str, Any]:
        """The keyword arguments that build a fresh SNES with these settings:
        `SNES(**opt.config)` (eta_sigma and population as numbers, also when
        they were the defaults)."""
    @property
    def sigma(self) -> Array:
        """A copy of the per-parameter step sizes sigma."""
    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickling: the whole state (settings, sigma, step, counters, a
        planned step); a restored SNES continues bit for bit."""

def _restore(state: bytes) -> Union[PerturbationOptimizer, SNES]:
    """Rebuilds an optimizer from the bytes its `__reduce__` wrote (pickle's
    entry point)."""
