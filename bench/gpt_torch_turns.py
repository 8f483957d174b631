#!/usr/bin/python3
"""gpt_torch.py (the PyTorch reference) one training step at a time, on request, for the bench's
`turns` section: Graft's step and PyTorch's take turns, so both see the same machine.

/usr/bin/python3 gpt_torch_turns.py --script PATH [--threads 2] [--warmup 2]
    [--layers L --width C --heads H --context T --batch B --vocab V]

Loads the reference script as a module and runs its training step (its data, initial weights,
model, loss and AdamW, as its main() does) after each line "step" on stdin, printing the step's
milliseconds; "exit" ends it. Prints "ready" after the warm-up steps. The size options set the
reference's size constants, as gpt_torch_sized.py does (the scaling section's turns); all or none.
"""
import argparse, time
from torch_reference import add_size_options, load_reference, serve_turns, set_size, size_given

ap = argparse.ArgumentParser()
ap.add_argument("--script", required=True)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--warmup", type=int, default=2)
add_size_options(ap, required=False)
args = ap.parse_args()
sized = size_given(ap, args)
ref = load_reference(args.script)
if sized:
    set_size(ref, args)
torch = ref.torch
torch.set_num_threads(args.threads)

# As the reference's main(): data, weights, AdamW groups (decay on 2-D weights), causal mask.
toks = ref.make_data()
P = ref.init_params()
decay = [P[n] for n, s, _ in ref.param_specs() if len(s) == 2]
nodecay = [P[n] for n, s, _ in ref.param_specs() if len(s) != 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": ref.WD}, {"params": nodecay, "weight_decay": 0.0}],
                        lr=ref.LR, betas=(ref.B1, ref.B2), eps=ref.EPS)
mask = torch.triu(torch.full((ref.T, ref.T), -1e9), diagonal=1)
step = 0


def train_step():
    global step
    x, y = ref.batch_at(toks, step)
    t0 = time.perf_counter()
    loss = ref.forward(P, x, y, mask)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    loss.item()
    step += 1
    return (time.perf_counter() - t0) * 1000


serve_turns(train_step, args.warmup)
