"""The evolution-strategy peers OpenES and SNES: settings and their Rust defaults, bad inputs that change nothing, pickling, training.

The bit-identity of their trajectories with Rust is in test_trajectories.py;
the kernel's messages for invalid settings are checked, with every other
class's, in test_errors.py (from the fixture).
"""

import copy
import math
import pickle

import numpy as np
import pytest

import dopamine_py as dp
from conftest import assert_nothing_changes, from_bits


def quad(p):
    return float(np.sum((np.asarray(p, dtype=np.float64) - 0.3) ** 2))


def make(cls, n=6, dtype=np.float64):
    if cls is dp.SNES:
        opt = cls(n, sigma=0.1, seed=3, dtype=dtype)
    else:
        opt = cls(n, sigma=0.05, eta=0.02, pairs=2, seed=3, dtype=dtype)
    w = np.linspace(-1.0, 1.0, n).astype(opt.dtype)
    return opt, w


PEERS = [dp.OpenES, dp.SNES]
IDS = ["OpenES", "SNES"]


# --- settings ---------------------------------------------------------------


def test_open_es_defaults_are_the_rust_defaults():
    opt = dp.OpenES(4)
    c = opt.config
    # The registry's OpenES: PerturbConfig::antithetic() and OpenEsConfig::default().
    assert (c["sigma"], c["eta"], c["pairs"], c["seed"]) == (1e-3, 1e-2, 1, 0)
    assert (c["noise"], c["cosine_to"], c["every"]) == ("gaussian", None, None)
    assert (c["beta1"], c["beta2"], c["eps"], c["l2"]) == (0.9, 0.999, 1e-8, 0.0)
    # Always antithetic without a baseline: not settings of OpenES.
    assert "antithetic" not in c and "baseline_from_probes" not in c
    assert opt.n_points == 2 and opt.points_info == [("probe", 0, "plus"), ("probe", 0, "minus")]
    assert isinstance(opt, dp.PerturbationOptimizer)


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_snes_defaults_are_the_rust_defaults(n):
    opt = dp.SNES(n)
    c = opt.config
    assert (c["sigma"], c["eta"], c["eta_sigma"], c["population"]) == (0.1, 1.0, None, None)
    assert (c["seed"], c["dtype"], c["n_params"]) == (0, "float64", n)
    assert not isinstance(opt, dp.PerturbationOptimizer) and isinstance(opt, dp.PopulationOptimizer)
    # None: the paper's defaults for d = n parameters (SnesConfig::new).
    population = 4 + math.floor(3 * math.log(n))
    assert opt.n_points == population
    explicit = dp.SNES(n, eta_sigma=(3 + math.log(n)) / (5 * math.sqrt(n)), population=population)
    w1, w2 = np.linspace(-1, 1, n), np.linspace(-1, 1, n)
    for _ in range(3):
        opt.step(w1, quad)
        explicit.step(w2, quad)
    assert np.array_equal(w1, w2) and np.array_equal(opt.sigma, explicit.sigma)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (dp.OpenES, {"n_params": 5, "sigma": 0.1, "eta": 0.2, "pairs": 3, "seed": 9, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "l2": 0.25}),
        (dp.OpenES, {"layout": [(3, 2), 2], "rank": 1, "noise": "rademacher", "every": 5, "factor": 0.5, "dtype": np.float32}),
        (dp.SNES, {"n_params": 5, "sigma": 0.3, "eta": 0.5, "eta_sigma": 0.2, "population": 9, "seed": 2**64 - 1}),
        (dp.SNES, {"n_params": 3, "sigma": 0.3, "dtype": "float32"}),
    ],
)
def test_config_rebuilds_an_identical_optimizer(cls, kwargs):
    opt = cls(**kwargs)
    config = opt.config
    for key, value in kwargs.items():
        if key == "dtype":
            assert config["dtype"] == np.dtype(value).name
        else:
            assert config[key] == value, key
    twin = cls(**config)
    assert twin.config == config
    assert pickle.dumps(twin) == pickle.dumps(opt)
    w1 = np.linspace(-1, 1, opt.n_params).astype(opt.dtype)
    w2 = w1.copy()
    for _ in range(5):
        opt.step(w1, quad)
        twin.step(w2, quad)
    assert np.array_equal(w1, w2)
    assert cls.__name__ in repr(opt) and "at step 5" in repr(opt)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"sigma0": 0.5}, TypeError, "SNES has no setting `sigma0`: it is called `sigma`"),
        ({"eta_mu": 1.0}, TypeError, "SNES has no setting `eta_mu`: it is called `eta`"),
        ({}, TypeError, "n_params"),  # required: SNES takes no layout
        ({"n_params": -1}, ValueError, "n_params must be >= 0"),
        ({"n_params": 4, "population": -3}, ValueError, "`population`: can't convert negative int to unsigned"),
        ({"n_params": 4, "population": 2**70}, ValueError, "`population`"),
        ({"n_params": 4, "population": 1000}, ValueError, "the supported range is 2..=256"),
        ({"n_params": 4, "population": 2.5}, TypeError, "`population`"),
        ({"n_params": 4, "seed": -1}, ValueError, r"seed must lie in \[0, 2\*\*64\)"),
        ({"n_params": 4, "dtype": "int32"}, TypeError, "dtype must be float32 or float64"),
        ({"n_params": 4, "probes": 2}, TypeError, "unknown field `probes`"),  # not a SNES setting
        ({"n_params": 4, "rank": 1}, TypeError, "unknown field `rank`"),  # no probes to make low-rank
        ({"n_params": 4, "layout": [4]}, TypeError, "unknown field `layout`"),
    ],
)
def test_snes_invalid_keyword_arguments(kwargs, exc, match):
    if "n_params" not in kwargs and kwargs:
        kwargs = {"n_params": 4, **kwargs}
    with pytest.raises(exc, match=match):
        dp.SNES(**kwargs)


def test_open_es_has_no_rpe_mode_or_baseline_setting():
    # Always antithetic without a baseline: no keyword says otherwise.
    for kwargs, match in [
        ({"antithetic": False}, "unknown field `antithetic`"),
        ({"baseline_from_probes": False}, "unknown field `baseline_from_probes`"),
        ({"rpe": "forward"}, "unknown field `rpe`"),
        ({"probes": 2}, "OpenES has no setting `probes`: it is called `pairs`"),
        ({"halve_on_divergence": False}, "unknown field `halve_on_divergence`"),
    ]:
        with pytest.raises(TypeError, match=match):
            dp.OpenES(4, **kwargs)


# --- state ------------------------------------------------------------------


def test_open_es_state_properties():
    opt, w = make(dp.OpenES, dtype=np.float32)
    m, v = opt.moments
    assert m.dtype == np.float32 and m.shape == (6,) and not m.any() and not v.any()
    assert opt.adam_steps == 0
    report = opt.step(w, quad)
    assert not report.rejected
    assert opt.adam_steps == 1
    m, v = opt.moments
    assert m.any() and np.all(v >= 0)
    # Adam's step size a = eta sqrt(1 - beta2) / (1 - beta1) at t = 1 (beta2 rounded
    # to float32, hence the tolerance), and no RPE statistics.
    assert report.effective_eta == pytest.approx(0.02 * math.sqrt(1 - 0.999) / (1 - 0.9), rel=1e-4)
    assert report.expected_rpe is None and report.surprise_size is None
    assert report.mean_delta is not None and report.last_delta is not None
    m[:] = 0  # a copy
    assert opt.moments[0].any()
    # A non-finite loss after an update undoes it and restarts Adam.
    points = opt.ask(w)
    report = opt.tell(w, [math.nan] + [quad(p) for p in points[1:]])
    assert report.reason == "update_undone"
    assert opt.adam_steps == 0 and not opt.moments[0].any()


def test_snes_state_and_report():
    opt, w = make(dp.SNES)
    assert np.array_equal(opt.sigma, np.full(6, 0.1))
    assert not hasattr(opt, "ask_one") and not hasattr(opt, "tell_one")
    assert "one-point" in dp.SNES.__doc__
    points = opt.ask(w)
    assert points.shape == (opt.n_points, 6)
    losses = [quad(p) for p in points]
    report = opt.tell(w, losses)
    assert report.updated and report.step == 0
    assert report.baseline_loss == pytest.approx(np.mean(losses))
    assert report.eta == report.effective_eta == 1.0
    # SNES has no RPE: the report has none (None, not zero).
    for field in ("mean_delta", "last_delta", "expected_rpe", "surprise_size"):
        assert getattr(report, field) is None, field
    assert opt.last_report.to_dict() == report.to_dict()
    assert not np.array_equal(opt.sigma, np.full(6, 0.1))
    sigma = opt.sigma
    sigma[:] = 7  # a copy
    assert not np.any(opt.sigma == 7)
    assert opt.counters == {
        "forward_passes": opt.n_points, "updates": 1, "undone_updates": 0, "rejected_probes": 0,
        "non_finite_baselines": 0, "skipped_updates": 0, "consecutive_rejections": 0,
    }


@pytest.mark.parametrize("cls", PEERS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_peers_train(cls, dtype):
    target = np.array([1.0, -2.0, 0.5, 0.0, 1.5], dtype=dtype)
    if cls is dp.SNES:
        opt = dp.SNES(5, sigma=0.5, seed=1, dtype=dtype)
        steps = 300
    else:
        opt = dp.OpenES(5, sigma=0.05, eta=0.05, pairs=8, seed=1, dtype=dtype)
        steps = 600
    w = np.zeros(5, dtype=dtype)
    for _ in range(steps):
        points = opt.ask(w)
        assert points.dtype == dtype
        report = opt.tell(w, ((points - target) ** 2).sum(axis=1))
        assert not report.rejected
    assert float(((w - target) ** 2).sum()) < 1e-2


# --- bad inputs change nothing ----------------------------------------------


@pytest.mark.parametrize("cls", PEERS, ids=IDS)
def test_ask_rejects_bad_params_and_out(cls):
    opt, w = make(cls)
    n, p = opt.n_points, opt.n_params
    read_only = np.zeros((n, p))
    read_only.flags.writeable = False
    cases = [
        (lambda: opt.ask(list(w)), TypeError, "params must be a numpy.ndarray of float64, got list"),
        (lambda: opt.ask(w.astype(np.float32)), TypeError, "params has dtype float32"),
        (lambda: opt.ask(w.reshape(2, 3)), ValueError, "params must be 1-D with 6 elements"),
        (lambda: opt.ask(np.zeros(5)), ValueError, "params has 5 elements, this optimizer has 6 parameters"),
        (lambda: opt.ask(np.zeros(12)[::2]), ValueError, "params is not C-contiguous"),
        (lambda: opt.ask(w, out=np.zeros((n, p + 1))), ValueError, rf"out must have shape \({n}, {p}\)"),
        (lambda: opt.ask(w, out=np.zeros((n, p), dtype=np.float32)), TypeError, "out has dtype float32"),
        (lambda: opt.ask(w, out=np.zeros((p, n)).T), ValueError, "out is not C-contiguous"),
        (lambda: opt.ask(w, out=read_only), ValueError, "out is read-only"),
    ]
    for call, exc, match in cases:
        assert_nothing_changes(opt, w, call, exc, match)


@pytest.mark.parametrize("cls", PEERS, ids=IDS)
def test_non_finite_params_raise_the_kernels_message(fixture, cls):
    (case,) = [c for c in fixture["errors"] if c.get("call") == "ask"]
    for bad in (math.nan, math.inf, -math.inf):
        opt, w = make(cls)
        w[2] = bad
        for call in (lambda: opt.ask(w), lambda: opt.step(w, quad)):
            info = assert_nothing_changes(opt, w, call, ValueError)
            assert str(info.value) == case["message"]


def test_snes_refuses_a_distribution_that_could_overflow(fixture):
    (case,) = [c for c in fixture["errors"] if c.get("call") == "snes_ask"]
    opt = dp.SNES(**case["snes_kwargs"])
    w = from_bits(case["params"], np.float64)
    for call in (lambda: opt.ask(w), lambda: opt.step(w, quad)):
        info = assert_nothing_changes(opt, w, call, ValueError)
        assert str(info.value) == case["message"]


@pytest.mark.parametrize("cls", PEERS, ids=IDS)
def test_tell_rejects_bad_params_and_losses(cls):
    opt, w = make(cls)
    n = opt.n_points
    points = opt.ask(w)
    losses = [quad(x) for x in points]
    read_only = w.copy()
    read_only.flags.writeable = False
    cases = [
        (lambda: opt.tell(w, losses[:-1]), ValueError, rf"expected {n} losses \(one per row of ask\(\)'s points, n_points = {n}\), got {n - 1}"),
        (lambda: opt.tell(w, losses + [1.0]), ValueError, f"expected {n} losses"),
        (lambda: opt.tell(w, np.array([losses, losses])), ValueError, f"losses must be 1-D with {n} values"),
        (lambda: opt.tell(w, ["a"] * n), TypeError, f"losses must be a 1-D sequence of {n} numbers"),
        (lambda: opt.tell(read_only, losses), ValueError, "params is read-only"),
        (lambda: opt.tell(w.astype(np.float32), losses), TypeError, "params has dtype float32"),
        (lambda: opt.tell(np.repeat(w, 2)[::2], losses), ValueError, "params is not C-contiguous"),
        (lambda: opt.tell(w[:-1], losses), ValueError, "params has 5 elements"),
        (lambda: opt.tell(w, losses, on_nonfinite="ignore"), ValueError, "on_nonfinite must be 'reject' or 'raise'"),
    ]
    for call, exc, match in cases:
        assert_nothing_changes(opt, w, call, exc, match)
    # The step is still pending and finishes as if nothing had happened.
    ref, w_ref = make(cls)
    ref.ask(w_ref)
    assert not opt.tell(w, losses).rejected
    ref.tell(w_ref, losses)
    assert np.array_equal(w, w_ref)
    assert pickle.dumps(opt) == pickle.dumps(ref)


@pytest.mark.parametrize("cls, where", [(dp.OpenES, r"probe 1, plus side"), (dp.SNES, "point 2")], ids=IDS)
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_losses(cls, where, bad):
    opt, w = make(cls)
    start = w.copy()
    points = opt.ask(w)
    losses = [quad(x) for x in points]
    losses[2] = bad
    info = assert_nothing_changes(opt, w, lambda: opt.tell(w, losses, on_nonfinite="raise"), ValueError, rf"loss 2 \({where}\) is")
    assert "nothing was changed" in str(info.value)
    # By default the step is rejected: SNES never moved the mean, so the
    # parameters and sigma are exactly as they were; OpenES restores its
    # probes in place (to within rounding).
    sigma = opt.sigma if cls is dp.SNES else None
    report = opt.tell(w, losses)
    assert report.rejected and report.reason == "non_finite_probe"
    assert report.baseline_loss is None
    if cls is dp.SNES:
        assert np.array_equal(w, start) and np.array_equal(opt.sigma, sigma)
    else:
        assert np.max(np.abs(w - start)) <= 1e-15
    assert opt.counters["rejected_probes"] == 1 and opt.step_index == 1


@pytest.mark.parametrize("cls", PEERS, ids=IDS)
def test_protocol_errors(cls):
    opt, w = make(cls)
    assert_nothing_changes(opt, w, lambda: opt.tell(w, [1.0] * opt.n_points), RuntimeError, r"tell\(\) needs a matching ask\(\) first")
    opt.ask(w)
    assert_nothing_changes(opt, w, lambda: opt.step(w, quad), RuntimeError, "a population step is pending")
    if cls is dp.OpenES:
        assert_nothing_changes(opt, w, lambda: opt.ask_one(w), RuntimeError, "a population step is pending")


class Stop(Exception):
    pass


@pytest.mark.parametrize("at", [0, 1, 3])
@pytest.mark.parametrize("fail", ["raise", "not_a_number"])
def test_snes_step_exception_changes_nothing(at, fail):
    opt, w = make(dp.SNES)
    twin, w_twin = make(dp.SNES)
    for _ in range(3):
        opt.step(w, quad)
        twin.step(w_twin, quad)
    calls = []

    def fails(p):
        calls.append(p.copy())
        if len(calls) == at + 1:
            if fail == "raise":
                raise Stop
            return "not a number"
        return quad(p)

    exc = Stop if fail == "raise" else TypeError
    assert_nothing_changes(opt, w, lambda: opt.step(w, fails), exc, "loss_fn must return a number, got str" if fail != "raise" else None)
    assert len(calls) == at + 1
    # The step goes on from there, as if the failed call had not happened.
    assert opt.step(w, quad).to_dict() == twin.step(w_twin, quad).to_dict()
    assert np.array_equal(w, w_twin) and np.array_equal(opt.sigma, twin.sigma)


def test_open_es_step_exception_at_a_probe_takes_that_exchange_back():
    opt, w = make(dp.OpenES)
    twin, w_twin = make(dp.OpenES)
    for _ in range(3):
        opt.step(w, quad)
        twin.step(w_twin, quad)
    # The twin does the first exchange only (probe 0, plus side); the failing
    # step() must end in the same state, the minus side's perturbation restored.
    assert twin.ask_one(w_twin) == ("probe", 0, "plus")
    assert twin.tell_one(w_twin, quad(w_twin)) is None
    calls = []

    def fails_at_second(p):
        calls.append(p.copy())
        if len(calls) == 2:
            raise Stop
        return quad(p)

    with pytest.raises(Stop):
        opt.step(w, fails_at_second)
    assert pickle.dumps(opt) == pickle.dumps(twin)
    assert not opt.is_perturbed
    assert np.max(np.abs(w - w_twin)) <= 4 * np.finfo(np.float64).eps * (1 + 9 * 0.05)
    report = opt.step(w, quad)
    assert not report.rejected and report.step == 3


def test_snes_step_evaluates_the_points_ask_gives():
    opt, w = make(dp.SNES)
    twin = copy.deepcopy(opt)
    seen = []
    opt.step(w.copy(), lambda p: seen.append(p.copy()) or quad(p))
    points = twin.ask(w)
    assert len(seen) == twin.n_points
    assert np.array_equal(np.array(seen), points)


# --- pickling ---------------------------------------------------------------


@pytest.mark.parametrize("cls", PEERS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pickle_resumes_bit_identically(cls, dtype):
    opt, w = make(cls, dtype=dtype)
    for _ in range(4):
        opt.step(w, quad)
    points = opt.ask(w)  # a step in progress travels too
    restored, w2 = pickle.loads(pickle.dumps((opt, w)))
    assert type(restored) is cls and restored.dtype == dtype
    assert restored.config == opt.config and restored.counters == opt.counters
    assert pickle.dumps(restored) == pickle.dumps(opt)
    losses = [quad(p) for p in points]
    assert opt.tell(w, losses).to_dict() == restored.tell(w2, losses).to_dict()
    for _ in range(4):
        assert opt.step(w, quad).to_dict() == restored.step(w2, quad).to_dict()
    assert np.array_equal(w, w2)
    deep = copy.deepcopy(opt)
    assert pickle.dumps(deep) == pickle.dumps(opt)


def test_snes_state_is_checked_on_restore():
    state = dp.SNES(3, sigma=0.5).__reduce__()[1][0]
    # One state format for every optimizer (and for Rust checkpoints).
    assert state[:8] == b"DPMNSTAT"
    assert dp.OpenES(3).__reduce__()[1][0][:8] == b"DPMNSTAT"
    assert pickle.loads(pickle.dumps(dp.SNES(3, sigma=0.5))).n_params == 3
    with pytest.raises(ValueError, match="not a dopamine_py optimizer state"):
        dp._restore(state[:-3])
    damaged = bytearray(state)
    damaged[-1] ^= 1
    with pytest.raises(ValueError, match="checksum mismatch"):
        dp._restore(bytes(damaged))
