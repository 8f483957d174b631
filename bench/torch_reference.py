"""The PyTorch reference script (gpt_torch.py) loaded as a module, for the bench's Python drivers
(gpt_torch_sized.py, gpt_torch_turns.py, gen_torch.py, awd_lstm_torch.py): its data, weights,
model and constants, without running its main(); and the size options that set those constants
(gpt_torch_sized.py, gpt_torch_turns.py); and the turns protocol both turns drivers serve
(gpt_torch_turns.py, awd_lstm_torch.py --turns)."""
import importlib.util
import sys

SIZES = ("layers", "width", "heads", "context", "batch", "vocab")


def load_reference(script):
    spec = importlib.util.spec_from_file_location("gpt_torch", script)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    return ref


def add_size_options(ap, required):
    """--layers --width --heads --context --batch --vocab (ints)."""
    for name in SIZES:
        ap.add_argument(f"--{name}", type=int, required=required)


def size_given(ap, args):
    """Whether the size options were given; all or none, else a usage error (exit 2)."""
    given = [getattr(args, n) is not None for n in SIZES]
    if any(given) and not all(given):
        ap.error("the size options go together: --" + " --".join(SIZES))
    return all(given)


def set_size(ref, args):
    """The reference's size constants (it reads them when it runs) from the size options."""
    ref.L, ref.C, ref.H, ref.T, ref.B, ref.V = args.layers, args.width, args.heads, args.context, args.batch, args.vocab


def serve_turns(train_step, warmup):
    """The bench's turns (bench/sections/torchTurns.ts): `warmup` steps, "ready", then one step per
    "step" line on stdin, printing its milliseconds; "exit" (or the end of stdin) ends it.
    train_step() returns its step's milliseconds."""
    for _ in range(warmup):
        train_step()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "exit":
            break
        print(f"{train_step():.3f}", flush=True)
