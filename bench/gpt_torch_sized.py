#!/usr/bin/python3
"""gpt_torch.py (the PyTorch reference) at another size, for the bench's `scaling` section.

/usr/bin/python3 gpt_torch_sized.py --script PATH --layers L --width C --heads H --context T --batch B --vocab V [gpt_torch.py's own options]

Loads the reference script as a module, sets its size constants (it reads them when it runs), and
runs its main(): the same data, initial weights (lowbias32), model and AdamW at that size.
"""
import argparse, sys
from torch_reference import add_size_options, load_reference, set_size

ap = argparse.ArgumentParser()
ap.add_argument("--script", required=True)
add_size_options(ap, required=True)
args, rest = ap.parse_known_args()
ref = load_reference(args.script)
set_size(ref, args)
sys.argv = [args.script] + rest
ref.main()
