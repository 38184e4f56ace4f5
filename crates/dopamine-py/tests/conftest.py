"""Shared helpers of the dopamine_py test suite: the cross-language fixture and its loss."""

import json
import math
import pathlib
import pickle

import numpy as np
import pytest

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "trajectories.json"


@pytest.fixture(scope="session")
def fixture():
    """The Rust trajectories (written by tests/trajectories.rs)."""
    with FIXTURE.open() as f:
        return json.load(f)


def float_arg(v):
    """JSON cannot hold NaN or infinities; the fixture writes them as strings."""
    return float(v) if isinstance(v, str) and v in ("nan", "inf", "-inf") else v


def kwargs_of(case):
    return {k: float_arg(v) for k, v in case["kwargs"].items()}


def bits(x):
    """IEEE-754 binary64 bit patterns in hex of a float or an array (float32 widened exactly)."""
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    return [f"{b:016x}" for b in a.view(np.uint64).tolist()]


def from_bits(hexes, dtype):
    a = np.array([int(h, 16) for h in hexes], dtype=np.uint64).view(np.float64)
    return a.astype(dtype)


def loss(w, round_, point, nan_every):
    """The fixture's loss, in the dtype of `w`, operation for operation as in tests/trajectories.rs."""
    if nan_every and (7 * round_ + point) % nan_every == 0:
        return math.nan
    if w.dtype == np.float64:
        s = 0.0
        for i, x in enumerate(w.tolist()):
            t = 0.1 * i - 0.5
            c = 1.0 + (i % 5)
            d = x - t
            d2 = d * d
            s += c * d2 + 0.25 * d2 * d2
        return s
    f = np.float32
    s, quarter = f(0.0), f(0.25)
    for i, x in enumerate(w):
        t = f(0.1 * i - 0.5)
        c = f(1.0 + (i % 5))
        d = x - t
        d2 = d * d
        s += c * d2 + quarter * d2 * d2
    return float(s)


def point_index(points_info, query):
    """The plan index of an ask_one query: its row in ask()'s points."""
    return points_info.index(query)


REPORT_FIELDS = (
    "baseline_loss",
    "mean_delta",
    "last_delta",
    "eta",
    "effective_eta",
    "expected_rpe",
    "surprise_size",
)


def check_step(case, s, report, w, opt=None):
    """Compares one step's report and parameters with the fixture, bit for bit
    (and SNES's sigma, which the fixture records, when `opt` is given)."""
    record = case["steps"][s]
    name = case["name"]
    assert report.step == record["step"], f"{name}: step index at round {s}"
    outcome = "updated" if not report.rejected else report.reason
    assert outcome == record["outcome"], f"{name}: outcome at round {s}"
    if record["report"] is not None:
        for field in REPORT_FIELDS:
            value, want = getattr(report, field), record["report"][field]
            got = None if value is None else bits(value)[0]
            assert got == want, f"{name}: report.{field} at round {s}"
    assert bits(w) == record["params"], f"{name}: parameters after round {s}"
    if "sigma" in record and opt is not None:
        assert bits(opt.sigma) == record["sigma"], f"{name}: sigma after round {s}"


def assert_nothing_changes(opt, w, call, exc, match=None):
    """`call()` raises `exc` and leaves `opt` and `w` exactly as they were."""
    state, before = pickle.dumps(opt), w.copy()
    with pytest.raises(exc, match=match) as info:
        call()
    assert pickle.dumps(opt) == state, "the optimizer's state changed"
    assert np.array_equal(w.view(np.uint8), before.view(np.uint8)), "params changed"
    return info
