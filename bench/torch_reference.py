"""The PyTorch reference script (gpt_torch.py) loaded as a module, for the bench's Python drivers
(gpt_torch_sized.py, gpt_torch_turns.py, gen_torch.py, awd_lstm_torch.py): its data, weights,
model and constants, without running its main()."""
import importlib.util


def load_reference(script):
    spec = importlib.util.spec_from_file_location("gpt_torch", script)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    return ref
