"""Every optimizer of the registry as the bindings offer it.

`dopamine_py.OPTIMIZERS` is written from the Rust registry's one list; each
entry is a class or says why it has none. Every class is built with its
defaults and with each of its settings and options given (every keyword of
its signature), trains a few steps on a quadratic, pickles and continues bit
for bit, and refuses an unknown keyword and every renamed one, naming the new
name. A new entry of the registry is tested here without a line of this file,
unless it has a setting without a default (then SAMPLES needs a value for it,
and the test says so).
"""

import inspect
import math
import pickle

import numpy as np
import pytest

import dopamine_py as dp

N = 8
# A value for the keywords whose default is None (or not a number to vary).
SAMPLES = {
    "layout": [(2, 3), 2],
    "cosine_to": 0.5,
    "total_steps": 20,
    "every": 5,
    "factor": 0.5,
    "population": 6,
    "eta_sigma": 0.2,
    "rank": 1,
    "second_moment": 0.99,
    "beta1": 0.8,
    "noise": "rademacher",
    "dtype": "float32",
}
# What a keyword needs beside it.
REQUIRES = {
    "cosine_to": {"total_steps": 20},
    "total_steps": {"cosine_to": 0.5},
    "every": {"factor": 0.5},
    "factor": {"every": 5},
    "baseline_from_probes": {"antithetic": True},
    "rank": {"layout": [(2, 3), 2]},
}
FAMILIES = {
    "perturbation": dp.PerturbationOptimizer,
    "evolution strategy": dp.PopulationOptimizer,
    "gradient": dp.GradientOptimizer,
}


def classes():
    return [e["class"] for e in dp.OPTIMIZERS if e["class"] is not None]


def keywords(cls):
    """The keyword arguments of `cls` beside `n_params`."""
    return [p for p in inspect.signature(cls).parameters.values() if p.name != "n_params"]


def sample(param):
    """A value of the keyword `param` other than its default."""
    if param.name in SAMPLES:
        return SAMPLES[param.name]
    default = param.default
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        return default * 0.5 if default else 0.1
    raise AssertionError(f"add a value for `{param.name}` (default {default!r}) to SAMPLES")


def build(cls, **kwargs):
    return cls(**kwargs) if "layout" in kwargs else cls(N, **kwargs)


def train(opt, w, steps):
    """`steps` steps on a quadratic; the last report."""
    target = np.linspace(-1.0, 1.0, opt.n_params).astype(opt.dtype)
    report = None
    for _ in range(steps):
        if isinstance(opt, dp.GradientOptimizer):
            d = w - target
            report = opt.step(w, 2 * d, float((d.astype(np.float64) ** 2).sum()))
        else:
            points = opt.ask(w)
            report = opt.tell(w, ((points - target) ** 2).sum(axis=1))
        assert np.all(np.isfinite(w))
    return report


def test_optimizers_are_the_registrys():
    kinds = [e["kind"] for e in dp.OPTIMIZERS]
    # The registry's entries of this release at least (a new entry, with a
    # class or without, joins the list without an edit here), each once.
    assert len(set(kinds)) == len(kinds), kinds
    assert {"wp", "openes", "snes", "dopamine1", "dopamine2", "sgd", "adam"} <= set(kinds)
    assert {e["class"].__name__ for e in dp.OPTIMIZERS if e["class"]} >= {
        "WP", "OpenES", "SNES", "Dopamine1", "Dopamine2", "SGD", "Adam"
    }
    for entry in dp.OPTIMIZERS:
        assert set(entry) == {"kind", "name", "family", "class", "excluded", "renamed"}
        cls = entry["class"]
        if cls is None:
            assert isinstance(entry["excluded"], str) and len(entry["excluded"]) > 10, entry
            continue
        assert entry["excluded"] is None
        assert cls.kind == entry["kind"] and cls.__module__ == "dopamine_py"
        assert getattr(dp, cls.__name__) is cls and cls.__name__ in dp.__all__
        # A family's methods have its base's interface (OpenES, an evolution
        # strategy, is a PerturbationOptimizer and so a PopulationOptimizer).
        assert issubclass(cls, dp.Optimizer)
        assert issubclass(cls, FAMILIES.get(entry["family"], dp.Optimizer)), entry
        assert cls.__doc__ and f"`{cls.kind}` optimizer" in cls.__doc__
        for old, new in entry["renamed"].items():
            assert f"`{old}` -> `{new}`" in " ".join(cls.__doc__.split())


@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_defaults_build_train_and_pickle(cls):
    opt = build(cls)
    config = opt.config
    assert config == {"n_params": N, **{p.name: p.default for p in keywords(cls)}} | {"dtype": "float64"}
    # Every keyword given at once (its default): the same optimizer.
    twin = cls(**config)
    assert pickle.dumps(twin) == pickle.dumps(opt)
    w = np.zeros(N)
    before = w.copy()
    report = train(opt, w, 5)
    assert not report.rejected and not np.array_equal(w, before)
    assert opt.step_index == 5
    assert isinstance(repr(opt), str) and "at step 5" in repr(opt)


@pytest.mark.parametrize(
    "cls, keyword",
    [(cls, p.name) for cls in classes() for p in keywords(cls)],
    ids=lambda x: x if isinstance(x, str) else x.__name__,
)
def test_every_setting_builds_trains_and_pickles(cls, keyword):
    param = inspect.signature(cls).parameters[keyword]
    kwargs = {**REQUIRES.get(keyword, {}), keyword: sample(param)}
    kwargs = {k: v for k, v in kwargs.items() if k in inspect.signature(cls).parameters}
    opt = build(cls, **kwargs)
    for key, value in kwargs.items():
        assert opt.config[key] == (np.dtype(value).name if key == "dtype" else value), key
    assert opt.config != build(cls).config
    w = np.linspace(0.5, -0.5, opt.n_params).astype(opt.dtype)
    train(opt, w, 4)
    # Pickled with its parameters, it continues bit for bit.
    restored, w2 = pickle.loads(pickle.dumps((opt, w)))
    assert type(restored) is cls and restored.config == opt.config
    assert pickle.dumps(restored) == pickle.dumps(opt)
    a, b = train(opt, w, 3), train(restored, w2, 3)
    assert a.to_dict() == b.to_dict() and np.array_equal(w, w2)
    # And a fresh optimizer from its config runs as it did from the start.
    fresh = cls(**opt.config)
    w3 = np.linspace(0.5, -0.5, opt.n_params).astype(opt.dtype)
    train(fresh, w3, 7)
    assert np.array_equal(w3, w)


@pytest.mark.parametrize(
    "entry", [e for e in dp.OPTIMIZERS if e["class"] is not None], ids=lambda e: e["kind"]
)
def test_unknown_and_renamed_keywords_are_refused_by_name(entry):
    cls = entry["class"]
    with pytest.raises(TypeError, match="unknown field `no_such_setting`"):
        cls(N, no_such_setting=1)
    for old, new in entry["renamed"].items():
        with pytest.raises(TypeError) as info:
            cls(N, **{old: 1})
        message = str(info.value)
        assert f"no setting `{old}`" in message and f"it is called `{new}`" in message, message


def test_gradient_methods_roll_back_a_non_finite_step():
    for cls, kwargs in [(dp.SGD, {"lr": 0.1, "momentum": 0.0}), (dp.Adam, {"lr": 0.1})]:
        opt = cls(3, **kwargs)
        w = np.ones(3)
        with pytest.raises(ValueError, match="no update to roll back"):
            opt.step(w, np.full(3, math.nan), 1.0)
        assert np.array_equal(w, np.ones(3)) and opt.step_index == 0
        report = opt.step(w, 2 * w, 3.0)
        assert report.updated and report.baseline_loss == 3.0 and report.eta == kwargs["lr"]
        assert report.mean_delta is None and report.expected_rpe is None
        moved = w.copy()
        assert not np.array_equal(moved, np.ones(3))
        report = opt.step(w, 2 * w, math.inf)
        assert report.rejected and report.reason == "update_undone"
        assert np.array_equal(w, np.ones(3)), "the update was rolled back"
        assert opt.current_rate == kwargs["lr"] / 2 and opt.step_index == 2
        with pytest.raises(ValueError, match="grad must have 3 values"):
            opt.step(w, [1.0, 2.0], 1.0)
        with pytest.raises(TypeError, match="params has dtype float32"):
            opt.step(w.astype(np.float32), 2 * w, 1.0)
    # SGD with momentum 0 is w -= lr g, exactly.
    opt, w = dp.SGD(2, lr=0.25, momentum=0.0), np.array([1.0, -2.0])
    opt.step(w, [4.0, 8.0], 0.0)
    assert w.tolist() == [0.0, -4.0]


def test_options_that_act_through_the_objective_are_not_keywords():
    # SGD's and Adam's `online_every` (truncated BPTT inside the trainer's
    # RNN objective) has no meaning for a step given its gradient.
    for cls in (dp.SGD, dp.Adam):
        assert "online_every" not in inspect.signature(cls).parameters
        with pytest.raises(TypeError, match="unknown field `online_every`"):
            cls(3, online_every=2)
