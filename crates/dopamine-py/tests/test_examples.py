"""The examples run and reach what their docstrings state."""

import importlib.util
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def run(script, *args):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_numpy_example_reaches_the_least_squares_optimum():
    out = run("numpy_quadratic.py")
    line = [l for l in out.splitlines() if l.startswith("least-squares optimum")][0]
    ratio = float(line.rsplit("=", 1)[1])
    assert 1.0 <= ratio <= 1.01, out


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="torch is not installed: the PyTorch XOR example (examples/torch_xor.py) was NOT run; "
    "install a CPU build of torch in this environment to run it",
)
def test_torch_example_solves_xor():
    out = run("torch_xor.py", "0")
    assert "seed 0: solved" in out, out
