#!/usr/bin/python3
"""gpt_torch.py (the PyTorch reference) at another size, for the bench's `scaling` section.

/usr/bin/python3 gpt_torch_sized.py --script PATH --layers L --width C --heads H --context T --batch B --vocab V [gpt_torch.py's own options]

Loads the reference script as a module, sets its size constants (it reads them when it runs), and
runs its main(): the same data, initial weights (lowbias32), model and AdamW at that size.
"""
import argparse, sys
from torch_reference import load_reference

ap = argparse.ArgumentParser()
ap.add_argument("--script", required=True)
for name in ("layers", "width", "heads", "context", "batch", "vocab"):
    ap.add_argument(f"--{name}", type=int, required=True)
args, rest = ap.parse_known_args()
ref = load_reference(args.script)
ref.L, ref.C, ref.H, ref.T, ref.B, ref.V = args.layers, args.width, args.heads, args.context, args.batch, args.vocab
sys.argv = [args.script] + rest
ref.main()
