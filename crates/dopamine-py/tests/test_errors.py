"""Bad inputs raise clear errors and change nothing: neither the parameters nor the optimizer's state.

The optimizer's whole state is compared through its pickled bytes, the
parameters bit for bit. Invalid settings raise ValueError with exactly the
Rust kernel's message (the messages come from the fixture that the Rust
test tests/trajectories.rs writes); keyword arguments are read as a config
file's settings are, so unknown and renamed ones raise TypeError with the
registry's message.
"""

import math
import pickle

import numpy as np
import pytest

import dopamine_py as dp
from conftest import assert_nothing_changes, float_arg


def make(cls=dp.Dopamine1, n=6, **kw):
    kw.setdefault("sigma", 0.05)
    kw.setdefault("eta", 0.02)
    kw.setdefault("seed", 3)
    opt = cls(n, **kw)
    w = np.linspace(-1.0, 1.0, n).astype(opt.dtype)
    return opt, w


def quad(p):
    return float(np.sum((np.asarray(p, dtype=np.float64) - 0.3) ** 2))


# --- settings: the kernel's validation, message for message -----------------


def test_fixture_has_error_cases(fixture):
    assert len(fixture["errors"]) >= 20


def test_invalid_settings_raise_the_kernels_message(fixture):
    for case in fixture["errors"]:
        if "class" not in case:
            continue
        kwargs = {k: float_arg(v) for k, v in case["kwargs"].items()}
        with pytest.raises(ValueError) as info:
            getattr(dp, case["class"])(**kwargs)
        assert str(info.value) == case["message"], kwargs


def test_non_finite_params_raise_the_kernels_message(fixture):
    (case,) = [c for c in fixture["errors"] if c.get("call") == "ask"]
    for bad in (math.nan, math.inf, -math.inf):
        opt, w = make()
        w[2] = bad
        info = assert_nothing_changes(opt, w, lambda: opt.ask(w), ValueError)
        assert str(info.value) == case["message"]
        info = assert_nothing_changes(opt, w, lambda: opt.ask_one(w), ValueError)
        assert str(info.value) == case["message"]
        info = assert_nothing_changes(opt, w, lambda: opt.step(w, quad), ValueError)
        assert str(info.value) == case["message"]


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        # The names of release 0.2.0, refused with their new names.
        ({"rpe": "antithetic"}, TypeError, "Dopamine-1 has no setting `rpe`: it is called `antithetic`"),
        ({"baseline": "from_probes"}, TypeError, "it is called `baseline_from_probes`"),
        ({"schedule": "cosine"}, TypeError, "it is called `cosine_to` or `every` and `factor`"),
        ({"final_fraction": 0.1}, TypeError, "it is called `cosine_to`"),
        ({"sigmaa": 0.1}, TypeError, "unknown field `sigmaa`"),
        ({"noise": "uniform"}, ValueError, "unknown variant `uniform`, expected `gaussian` or `rademacher`"),
        ({"antithetic": "yes"}, TypeError, "`antithetic` must be True or False, got str"),
        ({"beta": "high"}, TypeError, "`beta`"),
        ({"cosine_to": 0.1}, ValueError, "`cosine_to` needs `total_steps`"),
        ({"every": 3}, ValueError, "a step schedule needs `factor`"),
        ({"factor": 0.5}, ValueError, "a step schedule needs `every`"),
        ({"total_steps": 10}, ValueError, "applies only to a cosine schedule"),
        ({"cosine_to": 0.1, "total_steps": 5, "every": 2, "factor": 0.5}, ValueError, "exclude each other"),
        ({"baseline_from_probes": True}, ValueError, "needs a perturbation rule with antithetic RPE, not Dopamine-1"),
        ({"rank": 0}, ValueError, "`rank`: must be >= 1"),
        ({"seed": -1}, ValueError, r"seed must lie in \[0, 2\*\*64\)"),
        ({"seed": 2**64}, ValueError, r"seed must lie in \[0, 2\*\*64\)"),
        ({"dtype": "int32"}, TypeError, "dtype must be float32 or float64"),
        ({"dtype": np.float16}, TypeError, "dtype must be float32 or float64"),
        ({"probes": -2}, ValueError, "`probes`: can't convert negative int to unsigned"),
        ({"probes": 2.5}, TypeError, "`probes`"),
        ({"layout": "abc"}, TypeError, "layout must be a list"),
        ({"layout": [(2, 3, 4)]}, ValueError, "layout entry 0 must be an int"),
        ({"layout": [2.5]}, ValueError, "layout entry 0 must be an int"),
        ({"layout": [-3]}, ValueError, "a layout length must be >= 0"),
    ],
)
def test_invalid_keyword_arguments(kwargs, exc, match):
    kwargs = {"n_params": 6, **kwargs}
    if "layout" in kwargs:
        del kwargs["n_params"]
    with pytest.raises(exc, match=match):
        dp.Dopamine1(**kwargs)


def test_size_is_required():
    with pytest.raises(TypeError, match="n_params"):
        dp.WP()
    with pytest.raises(ValueError, match="n_params must be >= 0"):
        dp.WP(-1)
    with pytest.raises(TypeError, match="at most 1 positional argument"):
        dp.WP(4, 0.1)  # everything but n_params is keyword-only
    with pytest.raises(TypeError, match="multiple values for argument 'n_params'"):
        dp.WP(4, n_params=4)
    for base in (dp.Optimizer, dp.PopulationOptimizer, dp.PerturbationOptimizer, dp.GradientOptimizer):
        with pytest.raises(TypeError, match="cannot be built directly"):
            base(4)


# --- the population interface -----------------------------------------------


def test_ask_rejects_bad_params():
    opt, w = make()
    cases = [
        (list(w), TypeError, "params must be a numpy.ndarray of float64, got list"),
        (w.astype(np.float32), TypeError, "params has dtype float32, but this optimizer was built with dtype=float64"),
        (w.astype(">f8"), TypeError, "params has dtype >f8"),
        (w.reshape(2, 3), ValueError, r"params must be 1-D with 6 elements, got shape \[2, 3\]"),
        (np.zeros(5), ValueError, "params has 5 elements, this optimizer has 6 parameters"),
        (np.zeros(12)[::2], ValueError, "params is not C-contiguous"),
    ]
    for bad, exc, match in cases:
        assert_nothing_changes(opt, w, lambda: opt.ask(bad), exc, match)


def test_ask_rejects_bad_out():
    opt, w = make(probes=2)
    n, p = opt.n_points, opt.n_params
    read_only = np.zeros((n, p))
    read_only.flags.writeable = False
    cases = [
        (np.zeros((n, p + 1)), ValueError, r"out must have shape \(3, 6\)"),
        (np.zeros((n * p,)), ValueError, "out must have shape"),
        (np.zeros((n, p), dtype=np.float32), TypeError, "out has dtype float32"),
        (np.zeros((p, n)).T, ValueError, "out is not C-contiguous"),
        (read_only, ValueError, "out is read-only"),
        ([[0.0] * p] * n, TypeError, "out must be a numpy.ndarray"),
    ]
    for bad, exc, match in cases:
        assert_nothing_changes(opt, w, lambda: opt.ask(w, out=bad), exc, match)


def test_out_that_overlaps_params_is_refused():
    opt, _ = make(probes=2)
    buf = np.zeros((opt.n_points, opt.n_params))
    w = buf[1]  # a row of out is the parameter vector
    w[:] = 0.5
    assert_nothing_changes(opt, w, lambda: opt.ask(w, out=buf), ValueError, "cannot be borrowed")


def test_tell_rejects_bad_params_and_losses():
    opt, w = make(probes=2)
    points = opt.ask(w)
    losses = [quad(x) for x in points]
    read_only = w.copy()
    read_only.flags.writeable = False
    cases = [
        (lambda: opt.tell(w, losses[:-1]), ValueError, r"expected 3 losses \(one per row of ask\(\)'s points, n_points = 3\), got 2"),
        (lambda: opt.tell(w, losses + [1.0]), ValueError, "expected 3 losses"),
        (lambda: opt.tell(w, np.array([losses, losses])), ValueError, r"losses must be 1-D with 3 values"),
        (lambda: opt.tell(w, 1.0), ValueError, "losses must be 1-D"),
        (lambda: opt.tell(w, ["a", "b", "c"]), TypeError, "losses must be a 1-D sequence of 3 numbers"),
        (lambda: opt.tell(read_only, losses), ValueError, "params is read-only"),
        (lambda: opt.tell(w.astype(np.float32), losses), TypeError, "params has dtype float32"),
        (lambda: opt.tell(np.repeat(w, 2)[::2], losses), ValueError, "params is not C-contiguous"),
        (lambda: opt.tell(w[:-1], losses), ValueError, "params has 5 elements"),
        (lambda: opt.tell(w, losses, on_nonfinite="ignore"), ValueError, "on_nonfinite must be 'reject' or 'raise'"),
    ]
    for call, exc, match in cases:
        assert_nothing_changes(opt, w, call, exc, match)
    # The step is still pending and finishes as if nothing had happened.
    ref, w_ref = make(probes=2)
    ref.ask(w_ref)
    assert opt.tell(w, losses).rejected is False
    ref.tell(w_ref, losses)
    assert np.array_equal(w, w_ref)
    assert pickle.dumps(opt) == pickle.dumps(ref)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_losses_raise_on_request_and_change_nothing(bad):
    opt, w = make(probes=3)
    points = opt.ask(w)
    losses = [quad(x) for x in points]
    losses[2] = bad
    info = assert_nothing_changes(
        opt, w, lambda: opt.tell(w, losses, on_nonfinite="raise"), ValueError, "loss 2 \\(probe 1, plus side\\) is"
    )
    assert "nothing was changed" in str(info.value)
    losses[2] = quad(points[2])
    assert not opt.tell(w, losses, on_nonfinite="raise").rejected


def test_non_finite_losses_reject_the_step_by_default():
    opt, w = make(probes=2)
    start = w.copy()
    # A NaN baseline with no update to undo: nothing moves at all.
    opt.ask(w)
    report = opt.tell(w, [math.nan, 1.0, 1.0])
    assert report.rejected and report.reason == "non_finite_baseline"
    assert report.baseline_loss is None and report.effective_eta is None
    assert np.array_equal(w, start)
    # A NaN probe: the step is abandoned, the parameters are back where the
    # step began up to the rounding of the in-place restore.
    points = opt.ask(w)
    report = opt.tell(w, [quad(points[0]), math.nan, quad(points[2])])
    assert report.rejected and report.reason == "non_finite_probe"
    assert np.all(np.isfinite(w))
    assert np.max(np.abs(w - start)) <= 4 * np.finfo(np.float64).eps * (1 + 9 * 0.05)
    # An update followed by a NaN baseline is undone.
    points = opt.ask(w)
    assert not opt.tell(w, [quad(x) for x in points]).rejected
    after_first = opt.step_index
    moved = w.copy()
    opt.ask(w)
    report = opt.tell(w, [math.inf, 1.0, 1.0])
    assert report.reason == "update_undone"
    assert not np.array_equal(w, moved)
    assert np.max(np.abs(w - start)) <= 1e-12
    assert opt.step_index == after_first
    counters = opt.counters
    assert counters["undone_updates"] == 1
    assert counters["rejected_probes"] == 1
    assert counters["non_finite_baselines"] == 1


def test_tell_without_ask_is_a_runtime_error():
    opt, w = make()
    assert_nothing_changes(opt, w, lambda: opt.tell(w, [1.0, 2.0]), RuntimeError, r"tell\(\) needs a matching ask\(\) first")
    points = opt.ask(w)
    opt.tell(w, [quad(x) for x in points])
    assert_nothing_changes(opt, w, lambda: opt.tell(w, [1.0, 2.0]), RuntimeError, "needs a matching ask")


def test_interfaces_cannot_be_mixed_inside_a_step():
    opt, w = make()
    opt.ask(w)
    assert_nothing_changes(opt, w, lambda: opt.ask_one(w), RuntimeError, "a population step is pending")
    assert_nothing_changes(opt, w, lambda: opt.step(w, quad), RuntimeError, "a population step is pending")
    opt, w = make()
    opt.ask_one(w)  # the baseline
    assert_nothing_changes(opt, w, lambda: opt.ask(w), RuntimeError, "while a one-point step")
    opt.tell_one(w, quad(w))
    opt.ask_one(w)  # a probe: params are perturbed
    assert opt.is_perturbed
    assert_nothing_changes(opt, w, lambda: opt.ask(w), RuntimeError, "while a one-point step")
    assert_nothing_changes(opt, w, lambda: opt.tell(w, [1.0, 2.0]), RuntimeError, "needs a matching ask")


# --- the one-point interface ------------------------------------------------


def test_one_point_errors_change_nothing():
    opt, w = make()
    assert_nothing_changes(opt, w, lambda: opt.tell_one(w, 1.0), RuntimeError, r"tell_one\(\) needs a matching ask_one\(\) first")
    read_only = w.copy()
    read_only.flags.writeable = False
    assert_nothing_changes(opt, w, lambda: opt.ask_one(read_only), ValueError, "params is read-only")
    assert_nothing_changes(opt, w, lambda: opt.ask_one(w[::2]), ValueError, "params has 3 elements")
    assert_nothing_changes(opt, w, lambda: opt.ask_one(w.astype(np.float32)), TypeError, "dtype")
    opt.ask_one(w)
    assert_nothing_changes(opt, w, lambda: opt.tell_one(w, "x"), TypeError, None)
    assert_nothing_changes(opt, w, lambda: opt.tell_one(w[:3], 1.0), ValueError, "params has 3 elements")


# --- step(params, loss_fn) --------------------------------------------------


class Stop(Exception):
    pass


def test_step_exception_at_the_baseline_changes_nothing():
    opt, w = make(probes=2)
    for _ in range(3):
        opt.step(w, quad)

    def boom(p):
        raise Stop

    assert_nothing_changes(opt, w, lambda: opt.step(w, boom), Stop)


@pytest.mark.parametrize("fail", ["raise", "not_a_number"])
def test_step_exception_at_a_probe_takes_that_exchange_back(fail):
    opt, w = make(cls=dp.Dopamine2, probes=2, antithetic=True)
    twin, w_twin = make(cls=dp.Dopamine2, probes=2, antithetic=True)
    for _ in range(3):
        opt.step(w, quad)
        twin.step(w_twin, quad)
    # The twin does the baseline exchange only; the failing step() must end
    # in the same state, with the probe's perturbation restored.
    assert twin.ask_one(w_twin) == ("baseline", None, None)
    assert twin.tell_one(w_twin, quad(w_twin)) is None
    calls = []

    def fails_at_probe(p):
        calls.append(p.copy())
        if len(calls) == 2:
            if fail == "raise":
                raise Stop
            return "not a number"
        return quad(p)

    exc = Stop if fail == "raise" else TypeError
    with pytest.raises(exc):
        opt.step(w, fails_at_probe)
    assert not np.array_equal(calls[1], w), "the probe was evaluated away from w"
    assert pickle.dumps(opt) == pickle.dumps(twin)
    assert not opt.is_perturbed
    assert np.max(np.abs(w - w_twin)) <= 4 * np.finfo(np.float64).eps * (1 + 9 * 0.05)
    # The step goes on from there.
    report = opt.step(w, quad)
    assert not report.rejected and report.step == 3


def test_step_rejects_a_bad_loss_fn_result_type_clearly():
    opt, w = make()
    with pytest.raises(TypeError, match="loss_fn must return a number, got str"):
        opt.step(w, lambda p: "x")
