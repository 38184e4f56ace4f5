"""The Python API: settings round trips, point bookkeeping, reports, rule state, dtypes and array-likes."""

import copy
import pickle
import zlib
import threading

import numpy as np
import pytest

import dopamine_py as dp


def quad(p):
    return float(np.sum((np.asarray(p, dtype=np.float64) - 0.3) ** 2))


ALL_SETTINGS = [
    (dp.WP, {"n_params": 5, "sigma": 0.1, "eta": 0.2, "probes": 3, "seed": 9, "halve_on_divergence": False}),
    (
        dp.Dopamine1,
        {
            "layout": [(3, 2), 2, (1, 3), 1],
            "rank": 1,
            "antithetic": True,
            "baseline_from_probes": True,
            "noise": "rademacher",
            "cosine_to": 0.25,
            "total_steps": 100,
            "beta": 0.5,
            "eps": 1e-9,
            "bias_correction": False,
            "second_moment": 0.99,
            "dtype": np.float32,
        },
    ),
    (dp.Dopamine2, {"n_params": 4, "every": 7, "factor": 0.5, "lambda_": 0.25, "seed": 2**64 - 1}),
]


@pytest.mark.parametrize("cls, kwargs", ALL_SETTINGS)
def test_config_rebuilds_an_identical_optimizer(cls, kwargs):
    opt = cls(**kwargs)
    config = opt.config
    # The settings as given (a float32 optimizer rounds them when it runs).
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


def test_layout_uses_numpy_shapes():
    opt = dp.Dopamine1(layout=[(4, 2), 4, (1, 4), 1], rank=1)
    assert opt.n_params == 4 * 2 + 4 + 4 + 1
    assert opt.layout == [(4, 2), 4, (1, 4), 1]
    assert dp.Dopamine1(3).layout is None
    # Low-rank noise: each matrix block of a probe's perturbation has rank 1
    # in the C-ordered shape the layout gives.
    opt = dp.Dopamine1(layout=[(5, 3), 2], rank=1, sigma=1.0, probes=1)
    w = np.zeros(opt.n_params)
    points = opt.ask(w)
    block = points[1, :15].reshape(5, 3)
    assert np.linalg.matrix_rank(block, tol=1e-9) == 1
    assert np.all(points[1, 15:] != 0)


@pytest.mark.parametrize(
    "kwargs, info",
    [
        ({}, [("baseline", None, None), ("probe", 0, "plus")]),
        ({"probes": 2, "antithetic": True}, [("baseline", None, None), ("probe", 0, "plus"), ("probe", 0, "minus"), ("probe", 1, "plus"), ("probe", 1, "minus")]),
        ({"probes": 2, "antithetic": True, "baseline_from_probes": True}, [("probe", 0, "plus"), ("probe", 0, "minus"), ("probe", 1, "plus"), ("probe", 1, "minus")]),
        ({"probes": 3}, [("baseline", None, None), ("probe", 0, "plus"), ("probe", 1, "plus"), ("probe", 2, "plus")]),
    ],
)
def test_points_info_matches_the_one_point_interface(kwargs, info):
    opt = dp.Dopamine1(4, sigma=0.1, **kwargs)
    assert opt.points_info == info
    assert opt.n_points == len(info)
    w = np.full(4, 0.5)
    twin = copy.deepcopy(opt)
    w_twin = w.copy()
    points = twin.ask(w_twin)
    assert points.shape == (len(info), 4) and points.dtype == np.float64
    seen = []
    report = None
    while report is None:
        q = opt.ask_one(w)
        seen.append(q)
        # The point the one-point interface evaluates is row e of ask's array.
        assert np.array_equal(w, points[len(seen) - 1])
        report = opt.tell_one(w, quad(w))
    assert seen == info
    twin_report = twin.tell(w_twin, [quad(p) for p in points])
    assert np.array_equal(w, w_twin)
    assert report.to_dict() == twin_report.to_dict()


def test_ask_twice_gives_the_same_points_and_leaves_params_alone():
    opt = dp.Dopamine2(6, sigma=0.2, probes=4, antithetic=True, seed=1)
    w = np.arange(6, dtype=np.float64)
    before = w.copy()
    a = opt.ask(w)
    b = opt.ask(w)
    assert np.array_equal(a, b)
    assert np.array_equal(w, before)
    assert np.array_equal(a[0], w)  # the baseline row
    assert not np.array_equal(a[1], w)
    # Plus and minus sides of a probe are mirror images (up to rounding).
    assert np.allclose(a[1] - w, w - a[2], atol=1e-12)


def test_report_fields_and_counters():
    opt = dp.Dopamine1(3, sigma=0.01, eta=0.05, seed=42)
    w = np.zeros(3)
    report = opt.step(w, quad)
    assert isinstance(report, dp.StepReport)
    assert report.updated and not report.rejected and report.reason is None
    assert report.step == 0
    assert report.baseline_loss == pytest.approx(0.27)
    assert report.eta == 0.05
    assert report.effective_eta > 0 and report.surprise_size > 0
    d = report.to_dict()
    assert set(d) == {
        "step", "rejected", "reason", "baseline_loss", "mean_delta", "last_delta",
        "eta", "effective_eta", "expected_rpe", "surprise_size",
    }
    assert "StepReport(step=0, rejected=False" in repr(report)
    assert opt.last_report.to_dict() == d
    assert opt.step_index == 1
    assert opt.counters == {
        "forward_passes": 2, "updates": 1, "undone_updates": 0, "rejected_probes": 0,
        "non_finite_baselines": 0, "skipped_updates": 0, "consecutive_rejections": 0,
    }
    assert opt.expected_rpe == report.expected_rpe
    assert opt.surprise_variance == pytest.approx(report.surprise_size**2)
    assert dp.Dopamine1(3).last_report is None


def test_rule_state_properties():
    wp = dp.WP(3, sigma=0.1, eta=0.1)
    w = np.zeros(3)
    assert wp.eta_scale == 1.0
    wp.step(w, quad)
    rejected = wp.step(w, lambda p: float("nan"))
    assert rejected.reason == "update_undone"
    assert wp.eta_scale == 0.5
    d2 = dp.Dopamine2(3, sigma=0.1, lambda_=0.7, dtype="float32")
    w32 = np.zeros(3, dtype=np.float32)
    assert d2.lambda_ == pytest.approx(0.7)
    assert np.array_equal(d2.trace, np.zeros(3, dtype=np.float32))
    d2.step(w32, quad)
    trace = d2.trace
    assert trace.dtype == np.float32 and np.any(trace != 0)
    trace[:] = 0  # a copy: the optimizer's trace is untouched
    assert np.any(d2.trace != 0)


def test_dtype_and_class_hierarchy():
    for cls in (dp.WP, dp.Dopamine1, dp.Dopamine2):
        opt = cls(2, dtype="float32")
        assert isinstance(opt, dp.PerturbationOptimizer)
        assert opt.dtype == np.float32
        assert cls(2).dtype == np.float64
        assert cls.__name__ in repr(opt) and "at step 0" in repr(opt)
        assert cls.__doc__ and cls.ask.__doc__ and cls.tell.__doc__
    assert dp.MAX_PROBES == 32 and dp.MAX_RANK == 8 and dp.MAX_BLOCKS == 16
    assert isinstance(dp.__version__, str)


@pytest.mark.parametrize(
    "convert",
    [list, tuple, np.array, lambda x: np.array(x, dtype=np.float32), lambda x: np.repeat(np.array(x), 2)[::2]],
    ids=["list", "tuple", "float64", "float32", "strided"],
)
def test_losses_accept_array_likes(convert):
    opt = dp.Dopamine1(3, sigma=0.1, probes=2)
    ref = copy.deepcopy(opt)
    w, w_ref = np.ones(3), np.ones(3)
    points = opt.ask(w)
    ref.ask(w_ref)
    losses = [float(np.float32(quad(p))) for p in points]  # exact in float32 too
    a = opt.tell(w, convert(losses))
    b = ref.tell(w_ref, np.array(losses))
    assert np.array_equal(w, w_ref) and a.to_dict() == b.to_dict()


def test_float32_trains():
    opt = dp.Dopamine1(3, sigma=1e-2, eta=0.05, seed=42, dtype=np.float32, cosine_to=0.0, total_steps=1000)
    w = np.zeros(3, dtype=np.float32)
    target = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    for _ in range(1000):
        points = opt.ask(w)
        assert points.dtype == np.float32
        opt.tell(w, ((points - target) ** 2).sum(axis=1))
    assert float(((w - target) ** 2).sum()) < 1e-3


def test_copies_are_independent():
    opt = dp.Dopamine2(4, sigma=0.1, seed=5)
    w = np.ones(4)
    opt.step(w, quad)
    clone = copy.copy(opt)
    deep = copy.deepcopy(opt)
    w1, w2, w3 = w.copy(), w.copy(), w.copy()
    opt.step(w1, quad)
    clone.step(w2, quad)
    deep.step(w3, quad)
    assert np.array_equal(w1, w2) and np.array_equal(w1, w3)
    assert opt.step_index == clone.step_index == deep.step_index == 2


def test_restore_rejects_foreign_bytes():
    with pytest.raises(ValueError, match="not a dopamine_py optimizer state: truncated"):
        dp._restore(b"nope")
    with pytest.raises(ValueError, match="not a dopamine_py optimizer state: .*wrong magic bytes"):
        dp._restore(b"nope" * 8)
    good = pickle.dumps(dp.Dopamine1(3))
    state = dp.Dopamine1(3).__reduce__()[1][0]
    with pytest.raises(ValueError, match="not a dopamine_py optimizer state"):
        dp._restore(state[:-3])
    # A state of a format version this build does not know, intact otherwise
    # (its checksum, over version, length and payload, recomputed).
    newer = bytearray(state)
    newer[8:12] = (99).to_bytes(4, "little")
    newer[20:24] = zlib.crc32(bytes(newer[8:20]) + bytes(newer[24:])).to_bytes(4, "little")
    with pytest.raises(ValueError, match="format version 99"):
        dp._restore(bytes(newer))
    assert pickle.loads(good).n_params == 3


def test_large_population_steps_run_in_threads():
    """ask/tell release the GIL on large work; optimizers in threads still agree with a sequential run."""
    n = 200_000

    def run(seed, out):
        opt = dp.Dopamine1(n, sigma=1e-3, eta=1e-3, probes=2, seed=seed)
        w = np.zeros(n)
        for _ in range(3):
            points = opt.ask(w)
            opt.tell(w, ((points - 0.5) ** 2).sum(axis=1))
        out[seed] = w

    results, sequential = {}, {}
    threads = [threading.Thread(target=run, args=(s, results)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in range(3):
        run(s, sequential)
        assert np.array_equal(results[s], sequential[s])
