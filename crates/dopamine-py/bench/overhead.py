"""Overhead of a Dopamine step driven from Python, against the same step through the Rust kernel alone.

One round trip is one whole Dopamine-1 step (float64, no model evaluated:
the losses are a fixed formula of the step and the point, the same on both
sides):

- population: `opt.ask(w, out=buf)` then `opt.tell(w, losses)` from Python,
  against `plan` + `build_point` for every point into one buffer +
  `tell_all` in Rust (bench/overhead.rs); also `opt.ask(w)` without `out`
  (a new array per step);
- one point: `ask_one`/`tell_one` for each point of the step, against the
  kernel's `ask`/`tell`.

Sizes P = 1e3 and 1e6 (and P = 10, where the kernel's work is negligible
and the difference is the fixed cost of a call from Python), with K = 1
forward probe and K = 16 antithetic probes. The Rust binary and the Python loop run alternately in one run on
one machine; each reports the time per round trip of several samples, and
the table gives the medians, the difference (the overhead of the bindings)
and the ratio Python / Rust.

Run from the repository root, in a virtual environment with dopamine_py
installed (release build):

    python crates/dopamine-py/bench/overhead.py [--quick] [--json out.json]
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import dopamine_py as dp

ROOT = pathlib.Path(__file__).resolve().parents[3]
CONFIGS = [
    # P = 10: the kernel's work is negligible, the difference is the fixed
    # cost of a call from Python.
    (10, "forward", 1),
    (10, "antithetic", 16),
    (1_000, "forward", 1),
    (1_000, "antithetic", 16),
    (1_000_000, "forward", 1),
    (1_000_000, "antithetic", 16),
]


def loss_table(n_points):
    """losses[step % 11][e], the same formula as bench/overhead.rs."""
    return [
        np.array([1.0 + 1e-3 * ((e * 7 + s) % 11) for e in range(n_points)])
        for s in range(11)
    ]


def reps_for(p, k, interface):
    if p >= 100_000:
        return 1
    if p <= 100:
        return 2_000 if k == 1 else 200
    return 100 if interface == "population" and k == 1 else 20


def rust_samples(binary, p, rpe, k, interface, samples, reps):
    out = subprocess.run(
        [str(binary), str(p), rpe, str(k), interface, str(samples), str(reps)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)["samples_ns"]


def python_samples(p, rpe, k, interface, samples, reps, allocate=False):
    opt = dp.Dopamine1(p, sigma=1e-3, eta=1e-3, probes=k, antithetic=rpe == "antithetic", seed=1)
    w = ((np.arange(p) % 13) - 6.0) * 0.01
    n = opt.n_points
    table = loss_table(n)
    table_lists = [t.tolist() for t in table]
    buf = np.empty((n, p))

    def round_trip():
        step = opt.step_index
        if interface == "population":
            if allocate:
                opt.ask(w)
            else:
                opt.ask(w, out=buf)
            opt.tell(w, table[step % 11])
        else:
            losses = table_lists[step % 11]
            for e in range(n):
                opt.ask_one(w)
                opt.tell_one(w, losses[e])

    round_trip()  # warm-up, as on the Rust side
    result = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        for _ in range(reps):
            round_trip()
        result.append((time.perf_counter_ns() - start) / reps)
    return result


def fmt_us(ns):
    us = ns / 1e3
    return f"{us:,.1f}" if us < 1e4 else f"{us:,.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke test)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the results here")
    args = parser.parse_args()
    samples = 3 if args.quick else 7
    rounds = 1 if args.quick else 3

    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "dopamine-py", "--example", "overhead"],
        check=True,
        cwd=ROOT,
    )
    binary = ROOT / "target" / "release" / "examples" / "overhead"

    rows = []
    for p, rpe, k in CONFIGS:
        for interface in ("population", "one_point"):
            reps = reps_for(p, k, interface)
            rust, py, py_alloc = [], [], []
            for _ in range(rounds):
                rust += rust_samples(binary, p, rpe, k, interface, samples, reps)
                py += python_samples(p, rpe, k, interface, samples, reps)
                if interface == "population":
                    py_alloc += python_samples(p, rpe, k, interface, samples, reps, allocate=True)
            row = {
                "P": p,
                "rpe": rpe,
                "K": k,
                "interface": interface,
                "rust_ns": statistics.median(rust),
                "python_ns": statistics.median(py),
                "rust_min_ns": min(rust),
                "python_min_ns": min(py),
                "python_alloc_ns": statistics.median(py_alloc) if py_alloc else None,
                "samples": len(rust),
                "reps": reps,
            }
            rows.append(row)
            print(
                f"P={p:>9,} {rpe:>10} K={k:<2} {interface:>10}: "
                f"rust {fmt_us(row['rust_ns'])} us, python {fmt_us(row['python_ns'])} us",
                file=sys.stderr,
            )

    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} CPUs, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"python {platform.python_version()}, numpy {np.__version__}, dopamine_py {dp.__version__}")
    print("median time per round trip (one whole step, no model), microseconds\n")
    print("| P | step | interface | Rust | Python | Python - Rust | Python / Rust | Python, ask without out |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        alloc = fmt_us(r["python_alloc_ns"]) if r["python_alloc_ns"] is not None else "-"
        print(
            f"| {r['P']:.0e} | K={r['K']} {r['rpe']} | {r['interface'].replace('_', '-')} | "
            f"{fmt_us(r['rust_ns'])} | {fmt_us(r['python_ns'])} | "
            f"{fmt_us(r['python_ns'] - r['rust_ns'])} | {r['python_ns'] / r['rust_ns']:.2f} | {alloc} |"
        )
    print("\nfastest sample (less sensitive to other load on the machine), microseconds\n")
    print("| P | step | interface | Rust | Python | Python - Rust | Python / Rust |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['P']:.0e} | K={r['K']} {r['rpe']} | {r['interface'].replace('_', '-')} | "
            f"{fmt_us(r['rust_min_ns'])} | {fmt_us(r['python_min_ns'])} | "
            f"{fmt_us(r['python_min_ns'] - r['rust_min_ns'])} | {r['python_min_ns'] / r['rust_min_ns']:.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load_average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
