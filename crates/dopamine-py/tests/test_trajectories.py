"""Cross-language bit identity: the bindings reproduce the Rust trajectories of tests/fixtures/trajectories.json.

The fixture is written and checked by the Rust test tests/trajectories.rs
(the kernel's ask/tell and batch APIs, which agree bit for bit). Here the
same configs train on the same loss through every Python interface, and
each step's parameters and report must equal the fixture's bit for bit.
"""

import pickle

import numpy as np
import pytest

import dopamine_py as dp
from conftest import bits, check_step, from_bits, kwargs_of, loss, point_index

CASE_NAMES = [
    "wp_forward",
    "dopamine1_antithetic_from_probes",
    "dopamine2_low_rank",
    "dopamine1_float32",
    "dopamine2_defaults",
    "open_es_l2",
    "open_es_float32_low_rank",
    "snes_defaults",
    "snes_float32",
]
# SNES has no one-point interface (in Rust or here): its cases are named so.
SNES_PREFIX = "snes_"


def case_by_name(fixture, name):
    cases = {c["name"]: c for c in fixture["cases"]}
    assert sorted(cases) == sorted(CASE_NAMES), "the fixture's cases changed; update CASE_NAMES"
    case = cases[name]
    assert (case["class"] == "SNES") == name.startswith(SNES_PREFIX), name
    return case


def build(case):
    kwargs = kwargs_of(case)
    opt = getattr(dp, case["class"])(**kwargs)
    w = from_bits(case["init"], opt.dtype)
    return opt, w


def round_population(opt, w, r, nan_every, out=None):
    points = opt.ask(w, out=out)
    losses = [loss(points[e], r, e, nan_every) for e in range(opt.n_points)]
    return opt.tell(w, losses)


def round_one_point(opt, w, r, nan_every):
    info = opt.points_info
    while True:
        query = opt.ask_one(w)
        report = opt.tell_one(w, loss(w, r, point_index(info, query), nan_every))
        if report is not None:
            return report


def round_step(opt, w, r, nan_every):
    calls = []

    def loss_fn(p):
        e = len(calls)
        calls.append(e)
        return loss(p, r, e, nan_every)

    return opt.step(w, loss_fn)


def round_population_out(opt, w, r, nan_every):
    out = np.empty((opt.n_points, opt.n_params), dtype=opt.dtype)
    points = opt.ask(w, out=out)
    assert points is out, "ask(out=...) returns out itself"
    losses = np.array([loss(out[e], r, e, nan_every) for e in range(opt.n_points)], dtype=opt.dtype)
    return opt.tell(w, losses)


DRIVERS = {
    "population": round_population,
    "population_out": round_population_out,
    "one_point": round_one_point,
    "step": round_step,
}


CASES_AND_INTERFACES = [
    (name, interface)
    for name in CASE_NAMES
    for interface in sorted(DRIVERS)
    if not (name.startswith(SNES_PREFIX) and interface == "one_point")
]


@pytest.mark.parametrize("name, interface", CASES_AND_INTERFACES)
def test_python_trajectory_equals_rust(fixture, name, interface):
    case = case_by_name(fixture, name)
    opt, w = build(case)
    drive = DRIVERS[interface]
    for r in range(len(case["steps"])):
        report = drive(opt, w, r, case["nan_every"])
        check_step(case, r, report, w, opt)
        if r + 1 < len(case["steps"]):
            assert opt.step_index == case["steps"][r + 1]["step"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_pickle_between_steps_resumes_bit_identically(fixture, name):
    case = case_by_name(fixture, name)
    opt, w = build(case)
    half = len(case["steps"]) // 2
    for r in range(half):
        round_population(opt, w, r, case["nan_every"])
    restored = pickle.loads(pickle.dumps(opt))
    assert type(restored) is type(opt)
    assert restored.config == opt.config
    assert restored.counters == opt.counters
    del opt  # the restored optimizer carries on alone
    w = w.copy()
    for r in range(half, len(case["steps"])):
        report = round_population(restored, w, r, case["nan_every"])
        check_step(case, r, report, w, restored)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_pickle_inside_a_step_resumes_bit_identically(fixture, name):
    """Pickled after ask (population) and in the middle of a one-point step
    (SNES, without one: pickled after ask, and asked again once restored)."""
    case = case_by_name(fixture, name)
    nan_every = case["nan_every"]
    opt, w = build(case)
    for r in range(len(case["steps"])):
        if name.startswith(SNES_PREFIX) and r % 2 == 1:
            points = opt.ask(w)
            opt, w = pickle.loads(pickle.dumps((opt, w)))
            again = opt.ask(w)
            assert bits(again) == bits(points), "the restored SNES plans the same points"
            report = opt.tell(w, [loss(again[e], r, e, nan_every) for e in range(opt.n_points)])
        elif r % 2 == 0:
            points = opt.ask(w)
            opt = pickle.loads(pickle.dumps(opt))
            w = w.copy()
            losses = [loss(points[e], r, e, nan_every) for e in range(opt.n_points)]
            report = opt.tell(w, losses)
        else:
            info = opt.points_info
            report = None
            exchanges = 0
            while report is None:
                query = opt.ask_one(w)
                if exchanges == 1:
                    # The parameters hold a probe's perturbation: save both.
                    opt, w = pickle.loads(pickle.dumps((opt, w)))
                report = opt.tell_one(w, loss(w, r, point_index(info, query), nan_every))
                exchanges += 1
        check_step(case, r, report, w, opt)


def test_noise_fingerprint_is_present(fixture):
    """The fixture says which noise it was computed with (the Rust test checks the values)."""
    fp = fixture["noise_fingerprint"]
    assert len(fp["gaussian"]) == 4 and len(fp["rademacher"]) == 4
