"""The Python soak: the bindings driven from several threads at once, with NaN and 1e300 losses injected at random (seeded).

Each thread owns one optimizer (WP, Dopamine1, Dopamine2, OpenES, SNES, and
a second Dopamine2 with the first one's settings) and runs population steps (`ask` into a reused buffer, the
losses in numpy, `tell`). Checked: the parameters stay finite after every
step, the two identical Dopamine2 threads end with the same bits, each
thread ends with the bits of the same run alone on the main thread, and
the process's resident memory does not grow after warm-up. Only the
constructors' `sigma`, `eta` and `seed` keywords and `ask`/`tell` are used.

`DOPAMINE_SOAK_STEPS` sets the steps per thread (default 200,000: 1.2
million steps in all, plus the 200,000 of the check run alone).
"""

import os
import threading

import numpy as np
import pytest

import dopamine_py as dp

STEPS = int(os.environ.get("DOPAMINE_SOAK_STEPS", "200000"))
WARM_UP = STEPS // 10
N = 4
TARGET = np.array([0.0, 0.25, 0.5, 0.75])
WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])
FAULT = 0.002  # per loss: this often NaN, and as often 1e300


def make(cls, seed):
    """The optimizer: every population class takes the registry's `sigma`, `eta` and `seed`."""
    return cls(N, sigma=1e-3 if cls is not dp.SNES else 0.1, eta=0.01, seed=seed)


def resident_bytes():
    """The process's resident set size, or None off Linux."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


class Run:
    """One optimizer's soak: steps, faults, finiteness."""

    def __init__(self, cls, seed):
        self.opt = make(cls, seed)
        self.name = cls.__name__
        self.w = np.array([2.0, -1.5, 0.5, 3.0])
        self.rng = np.random.default_rng(seed)
        self.faults = 0
        self.rejected = 0
        self.non_finite = 0

    def steps(self, count):
        w, opt, rng = self.w, self.opt, self.rng
        points = opt.ask(w)
        buf = np.empty_like(points)
        for _ in range(count):
            points = opt.ask(w, out=buf)
            # A diverging method's points may overflow: an infinite loss,
            # which `tell` rejects like any non-finite one.
            with np.errstate(over="ignore", invalid="ignore"):
                losses = ((points - TARGET) ** 2 * WEIGHTS).sum(axis=1)
            u = rng.random(len(losses))
            losses[u < FAULT] = np.nan
            losses[(u >= FAULT) & (u < 2 * FAULT)] = 1e300
            self.faults += int((u < 2 * FAULT).sum())
            report = opt.tell(w, losses)
            if report.rejected:
                self.rejected += 1
            if not np.isfinite(w).all():
                self.non_finite += 1

    def bits(self):
        return self.w.tobytes()


CLASSES = [dp.WP, dp.Dopamine1, dp.Dopamine2, dp.OpenES, dp.SNES, dp.Dopamine2]


def test_soak_threads_faults_memory_and_bits():
    runs = [Run(cls, seed) for cls, seed in zip(CLASSES, [1, 2, 3, 4, 5, 3])]
    # Every population method of the registry is soaked.
    population = {e["class"] for e in dp.OPTIMIZERS if isinstance(e["class"], type) and issubclass(e["class"], dp.PopulationOptimizer)}
    assert population == set(CLASSES), population
    barrier = threading.Barrier(len(runs) + 1)
    errors = []

    def drive(run):
        try:
            run.steps(WARM_UP)
            barrier.wait()  # warm: the main thread reads the memory
            barrier.wait()
            run.steps(STEPS - WARM_UP)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=drive, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    barrier.wait()
    warm = resident_bytes()
    barrier.wait()
    for t in threads:
        t.join()
    end = resident_bytes()
    assert not errors, errors

    for r in runs:
        assert r.non_finite == 0, r.name
        # Faults were injected at about the rate asked for, and survived.
        assert r.faults > STEPS * 2 * FAULT, (r.name, r.faults)
        assert r.rejected > 0, r.name
    # The two Dopamine2 threads with the same settings agree bit for bit.
    twins = [r for r in runs if r.name == "Dopamine2"]
    assert len(twins) == 2 and twins[0].bits() == twins[1].bits()
    # Each thread ended where the same run alone ends (checked for one
    # of each class, run here on the main thread).
    for r, seed in [(runs[0], 1), (twins[0], 3)]:
        alone = Run(type(r.opt), seed)
        alone.steps(STEPS)
        assert alone.bits() == r.bits(), r.name
    # Memory: flat after warm-up, to a few pages (the allocators' arenas).
    if warm is not None:
        growth = end - warm
        print(f"resident memory after warm-up: {growth:+d} bytes over {STEPS - WARM_UP} steps x {len(runs)} threads")
        assert growth < 256 << 10, growth
    else:
        pytest.skip("no /proc/self/statm: memory not measured")
