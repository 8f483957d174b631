#!/usr/bin/python3
"""The AWD-LSTM language model's train step in PyTorch, the reference of the bench's AWD-LSTM row.

/usr/bin/python3 awd_lstm_torch.py --script gpt_torch.py --weights params.safetensors
    --emb 64 --hidden 128 --layers 3 --bptt 70 --batch 16 --vocab 96
    [--embed-dropout .02 --input-dropout .25 --hidden-dropout .15 --output-dropout .1
     --weight-dropout .2 --alpha 2 --beta 1] [--steps N --warmup W --threads 2 --losses | --turns]

The same data as the GPT reference (its module's make_data/batch_at, lowbias32, at --bptt and
--batch), the same initial weights (Graft's model:awd-lstm after setup, saved as safetensors by
the bench), the same model: embedding dropout (whole words), locked (variational) dropout on the
input, between layers and on the output, DropConnect on each layer's hidden-to-hidden matrix,
AR (alpha * mean(out^2), after output dropout) and TAR (beta * mean((h_t - h_{t-1})^2), before),
tied decoder, AdamW with the GPT reference's settings (decay on 2-D weights, as Graft's flags).
The LSTM runs through PyTorch's fused CPU kernel (torch._VF.lstm with the dropped weights: how
fastai's WeightDropout runs it). Graft's layout: wih [In, 4H], whh [H, 4H], one bias [4H], gates
i, f, g, o (PyTorch's order), so PyTorch's weight_ih = wih^T, bias_ih = bias, bias_hh = 0.

Prints one JSON line (gpt_torch.py's fields), plus loss_eval0: the next-token cross-entropy of
training batch 0 at the initial weights with dropout off and no AR/TAR, which Graft's bench
computes too (same weights, data and model math: equal to float32 rounding).

With --turns (the bench's turns with Graft, as gpt_torch_turns.py does for the GPT): after the
warm-up steps it prints "ready", then runs one training step after each line "step" on stdin,
printing the step's milliseconds; "exit" ends it.
"""
import argparse, json, os, resource, statistics, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import torch
import torch.nn.functional as F
from torch_reference import load_reference, serve_turns


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    n = int.from_bytes(buf[:8], "little")
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        a, b = spec["data_offsets"]
        assert spec["dtype"] == "F32", (name, spec["dtype"])
        out[name] = torch.from_numpy(np.frombuffer(buf[8 + n + a:8 + n + b], dtype=np.float32).copy().reshape(spec["shape"]))
    return out


def locked_mask(x, p, training):
    """One mask per sequence, the same at every time step: [B, 1, D]."""
    if not training or p == 0:
        return None
    return x.new_empty(x.size(0), 1, x.size(2)).bernoulli_(1 - p) / (1 - p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--weights", required=True)
    for name, kind in (("emb", int), ("hidden", int), ("layers", int), ("bptt", int), ("batch", int), ("vocab", int)):
        ap.add_argument(f"--{name}", type=kind, required=True)
    for name, default in (("embed-dropout", .02), ("input-dropout", .25), ("hidden-dropout", .15), ("output-dropout", .1), ("weight-dropout", .2), ("alpha", 2.0), ("beta", 1.0)):
        ap.add_argument(f"--{name}", type=float, default=default)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--losses", action="store_true")
    ap.add_argument("--turns", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    ref = load_reference(args.script)
    ref.T, ref.B, ref.V = args.bptt, args.batch, args.vocab
    toks = ref.make_data()

    W = read_safetensors(args.weights)
    E, L = args.emb, args.layers
    P = {"emb": torch.nn.Parameter(W["backbone.tokEmbed"].clone())}
    sizes = []
    for i in range(L):
        wih, whh, bias = W[f"backbone.rnn.{i}.wih"], W[f"backbone.rnn.{i}.whh"], W[f"backbone.rnn.{i}.bias"]
        sizes.append(whh.shape[0])
        P[f"wih{i}"] = torch.nn.Parameter(wih.t().contiguous())
        P[f"whh{i}"] = torch.nn.Parameter(whh.t().contiguous())
        P[f"bias{i}"] = torch.nn.Parameter(bias.clone())
    zero_bias = [torch.zeros(4 * h) for h in sizes]

    def forward(x, y, training):
        emb = P["emb"]
        if training and args.embed_dropout > 0:
            keep = emb.new_empty(emb.size(0), 1).bernoulli_(1 - args.embed_dropout) / (1 - args.embed_dropout)
            h = F.embedding(x, emb * keep)
        else:
            h = F.embedding(x, emb)
        m = locked_mask(h, args.input_dropout, training)
        if m is not None:
            h = h * m
        for i in range(L):
            whh = P[f"whh{i}"]
            if training and args.weight_dropout > 0:
                whh = F.dropout(whh, args.weight_dropout, training=True)
            zeros = h.new_zeros(1, h.size(0), sizes[i])
            raw, _, _ = torch._VF.lstm(h, (zeros, zeros), [P[f"wih{i}"], whh, P[f"bias{i}"], zero_bias[i]], True, 1, 0.0, training, False, True)
            if i < L - 1:
                m = locked_mask(raw, args.hidden_dropout, training)
                h = raw * m if m is not None else raw
        m = locked_mask(raw, args.output_dropout, training)
        out = raw * m if m is not None else raw
        logits = out @ emb.t()
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        if training:
            if args.alpha > 0:
                loss = loss + args.alpha * out.pow(2).mean()
            if args.beta > 0:
                loss = loss + args.beta * (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
        return loss

    x0, y0 = ref.batch_at(toks, 0)
    with torch.no_grad():
        loss_eval0 = forward(x0, y0, False).item()

    # Graft's decay flags: the embedding and both matrices of each layer decay, biases do not.
    decay = [p for n, p in P.items() if not n.startswith("bias")]
    nodecay = [p for n, p in P.items() if n.startswith("bias")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ref.WD}, {"params": nodecay, "weight_decay": 0.0}], lr=ref.LR, betas=(ref.B1, ref.B2), eps=ref.EPS)
    torch.manual_seed(0)
    losses = []
    step = 0

    def train_step():
        nonlocal step
        x, y = ref.batch_at(toks, step)
        t0 = time.perf_counter()
        loss = forward(x, y, True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        return time.perf_counter() - t0

    if args.turns:
        serve_turns(lambda: train_step() * 1000, args.warmup)
        return
    times = [dt for i, dt in ((i, train_step()) for i in range(args.warmup + args.steps)) if i >= args.warmup]
    step_s = statistics.median(times)
    tok = args.batch * args.bptt
    nparams = sum(p.numel() for p in P.values())
    out = {"impl": "torch", "backend": f"cpu-{args.threads}t", "model": "awd-lstm", "tokens_per_s": round(tok / step_s, 1),
           "step_ms": round(step_s * 1000, 2), "loss_first": round(losses[0], 5), "loss_last": round(losses[-1], 5),
           "loss_eval0": round(loss_eval0, 6), "params": nparams, "steps": args.warmup + args.steps, "timed_steps": args.steps,
           "step_ms_mean": round(sum(times) / len(times) * 1000, 2), "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
           "torch": torch.__version__,
           "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if args.losses:
        out["losses"] = [round(v, 5) for v in losses]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
