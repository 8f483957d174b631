#!/usr/bin/python3
"""Greedy GPT generation with a key/value cache in PyTorch, for the bench's `generation` section.

/usr/bin/python3 gen_torch.py --script PATH [--prompt 16] [--threads 2]

The reference script's model and initial weights (gpt_torch.py's init_params, lowbias32) at its
size; the prompt is (7 i + 3) mod V for i < --prompt, as bench/sections/generation.ts; then greedy
tokens up to the context length, one at a time against cached keys and values. Prints one JSON
line: tokens/s of the generated tokens (best of --repeats) and the ids.
"""
import argparse, json, math, time
import torch
import torch.nn.functional as F
from torch_reference import load_reference

ap = argparse.ArgumentParser()
ap.add_argument("--script", required=True)
ap.add_argument("--prompt", type=int, default=16)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeats", type=int, default=2)
args = ap.parse_args()
ref = load_reference(args.script)
torch.set_num_threads(args.threads)
V, T, C, L, H = ref.V, ref.T, ref.C, ref.L, ref.H
D = C // H
P = {k: v.detach() for k, v in ref.init_params().items()}


def ln(x, n):
    return F.layer_norm(x, (C,), P[f"{n}.g"], P[f"{n}.b"], 1e-5)


def step(ids, pos0, cache):
    """Logits of the last position for tokens `ids` at positions pos0..; cache: per layer (k, v) [H, t, D] or None."""
    n = len(ids)
    x = P["wte"][torch.tensor(ids)] + P["wpe"][pos0:pos0 + n]  # [n, C]
    new = []
    for l in range(L):
        p = lambda s: P[f"h{l}.{s}"]
        a = F.layer_norm(x, (C,), p("ln1.g"), p("ln1.b"), 1e-5)
        q, k, v = (a @ p("attn.w") + p("attn.b")).split(C, dim=1)
        q, k, v = (z.view(n, H, D).transpose(0, 1) for z in (q, k, v))  # [H, n, D]
        if cache is not None:
            k = torch.cat([cache[l][0], k], 1)
            v = torch.cat([cache[l][1], v], 1)
        new.append((k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D)
        if n > 1:
            att = att + torch.triu(torch.full((n, n), -1e9), diagonal=1)
        y = (F.softmax(att, dim=-1) @ v).transpose(0, 1).reshape(n, C)
        x = x + (y @ p("proj.w") + p("proj.b"))
        m = F.layer_norm(x, (C,), p("ln2.g"), p("ln2.b"), 1e-5)
        x = x + (F.gelu(m @ p("fc.w") + p("fc.b"), approximate="tanh") @ p("fc2.w") + p("fc2.b"))
    x = ln(x, "lnf")
    return x[-1] @ P["wte"].t(), new


def generate():
    ids = [(7 * i + 3) % V for i in range(args.prompt)]
    with torch.no_grad():
        logits, cache = step(ids, 0, None)
        while True:
            nxt = int(torch.argmax(logits))
            ids.append(nxt)
            if len(ids) >= T:
                return ids
            logits, cache = step([nxt], len(ids) - 1, cache)


generate()  # warm-up
best = math.inf
for _ in range(args.repeats):
    t0 = time.perf_counter()
    ids = generate()
    best = min(best, time.perf_counter() - t0)
new = T - args.prompt
print(json.dumps({"impl": "torch", "threads": args.threads, "tokens_per_s": round(new / best, 1), "new_tokens": new, "ids": ids}))
