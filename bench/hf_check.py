#!/usr/bin/python3
"""Check a `graft export --format hf` folder in PyTorch: run GPT-2's forward, written here from
transformers' modeling_gpt2.py (GPT2Model / GPT2Block / GPT2Attention / GPT2MLP / Conv1D, eager
attention, gelu_new), on the exported model.safetensors and config.json, and compare its logits
with Graft's; encode the prompt with the exported tokenizer.json (byte-level BPE as `tokenizers`
applies it) and compare the ids with Graft's.

transformers itself is not installable on this machine (no PyPI), so this is its forward, not its
code; with transformers installed the same folder loads as

    from transformers import GPT2LMHeadModel, AutoTokenizer
    model = GPT2LMHeadModel.from_pretrained(DIR); tok = AutoTokenizer.from_pretrained(DIR)
    logits = model(**tok("Call me Ishmael.", return_tensors="pt")).logits

Usage: /usr/bin/python3 bench/hf_check.py EXPORT_DIR GRAFT.json
  GRAFT.json: {"text": str, "ids": [int], "logits": [[float]]} from Graft (bench/hfCheck.ts writes it).
Prints one JSON line; exit 0 when the logits agree within 1e-4 and the ids are equal, else 1.
"""
import json
import math
import struct
import sys

import torch

TOLERANCE = 1e-4


def load_safetensors(path):
    """safetensors by hand: u64 little-endian header size, JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    body = memoryview(data)[8 + n :]
    dtypes = {"F32": torch.float32, "I32": torch.int32}
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        t = torch.frombuffer(bytearray(body[a:b]), dtype=dtypes[h["dtype"]])
        out[name] = t.reshape(h["shape"])
    return out, meta


def gelu_new(x):
    # transformers.activations.NewGELUActivation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def conv1d(x, w, b):
    # transformers.pytorch_utils.Conv1D: weight [nx, nf], x @ w + b
    size_out = x.size()[:-1] + (w.size(-1),)
    return torch.addmm(b, x.view(-1, x.size(-1)), w).view(size_out)


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.size(-1),), w, b, eps)


def gpt2_lm_logits(sd, cfg, ids):
    """GPT2LMHeadModel.forward(input_ids).logits for one batch, eval mode (no dropout)."""
    n_head, eps = cfg["n_head"], cfg["layer_norm_epsilon"]
    assert cfg["activation_function"] == "gelu_new", cfg["activation_function"]
    input_ids = torch.tensor([ids], dtype=torch.long)
    B, T = input_ids.shape
    position_ids = torch.arange(T, dtype=torch.long).unsqueeze(0)
    h = sd["transformer.wte.weight"][input_ids] + sd["transformer.wpe.weight"][position_ids]
    causal = torch.tril(torch.ones((T, T), dtype=torch.bool)).view(1, 1, T, T)
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        residual = h
        x = layer_norm(h, sd[p + "ln_1.weight"], sd[p + "ln_1.bias"], eps)
        q, k, v = conv1d(x, sd[p + "attn.c_attn.weight"], sd[p + "attn.c_attn.bias"]).split(cfg["n_embd"], dim=2)
        split = lambda t: t.view(B, T, n_head, -1).permute(0, 2, 1, 3)  # noqa: E731  (_split_heads)
        q, k, v = split(q), split(k), split(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        if cfg.get("scale_attn_weights", True):
            w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        w = torch.nn.functional.softmax(w, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous().view(B, T, -1)  # _merge_heads
        h = residual + conv1d(a, sd[p + "attn.c_proj.weight"], sd[p + "attn.c_proj.bias"])
        residual = h
        x = layer_norm(h, sd[p + "ln_2.weight"], sd[p + "ln_2.bias"], eps)
        x = conv1d(gelu_new(conv1d(x, sd[p + "mlp.c_fc.weight"], sd[p + "mlp.c_fc.bias"])), sd[p + "mlp.c_proj.weight"], sd[p + "mlp.c_proj.bias"])
        h = residual + x
    h = layer_norm(h, sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"], eps)
    lm_head = sd["transformer.wte.weight"] if cfg.get("tie_word_embeddings", True) else sd["lm_head.weight"]
    return torch.nn.functional.linear(h, lm_head)[0]


def bytes_to_unicode():
    # GPT-2's byte spelling (encoder.py / tokenizers' ByteLevel)
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def hf_bpe_encode(tok, text, pieces):
    """tokenizers' BPE model on byte-level pre-tokens: lowest-rank merge first, then vocab lookup."""
    assert tok["model"]["type"] == "BPE"
    vocab = tok["model"]["vocab"]
    ranks = {tuple(m.split(" ") if isinstance(m, str) else m): i for i, m in enumerate(tok["model"]["merges"])}
    b2u = bytes_to_unicode()
    out = []
    for piece in pieces:
        word = [b2u[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            pairs = [(ranks.get((word[j], word[j + 1])), j) for j in range(len(word) - 1)]
            pairs = [p for p in pairs if p[0] is not None]
            if not pairs:
                break
            _, j = min(pairs)
            word = word[:j] + [word[j] + word[j + 1]] + word[j + 2 :]
        out.extend(vocab[w] for w in word)
    return out


def main():
    export_dir, graft_file = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    sd, meta = load_safetensors(f"{export_dir}/model.safetensors")
    with open(f"{export_dir}/config.json") as f:
        cfg = json.load(f)
    with open(graft_file) as f:
        graft = json.load(f)
    result = {"safetensors_format": meta.get("format"), "tensors": len(sd), "torch": torch.__version__}
    with torch.no_grad():
        logits = gpt2_lm_logits(sd, cfg, graft["ids"])
    ref = torch.tensor(graft["logits"], dtype=torch.float32)
    diff = (logits - ref).abs().max().item()
    result.update({"positions": len(graft["ids"]), "vocab": logits.shape[-1], "max_abs_logit_diff": diff, "logits_match": diff < TOLERANCE})
    try:
        with open(f"{export_dir}/tokenizer.json") as f:
            tok = json.load(f)
        # Graft's pre-tokenizer pieces (GPT-2's regex) are given: Python's re has no \p{L}.
        ids = hf_bpe_encode(tok, graft["text"], graft["pieces"])
        result["ids_match"] = ids == graft["ids"]
    except FileNotFoundError:
        result["ids_match"] = None
    print(json.dumps(result))
    sys.exit(0 if result["logits_match"] and result["ids_match"] is not False and meta.get("format") == "pt" else 1)


if __name__ == "__main__":
    main()
