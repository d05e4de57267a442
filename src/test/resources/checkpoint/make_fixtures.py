#!/usr/bin/python3
"""Makes the PyTorchBin test fixtures; run once, from this directory, with torch 1.13 (Debian python3-torch).

    /usr/bin/python3 make_fixtures.py

Writes:
  tiny_state_dict.bin   torch.save (zip format) of a small state dict: a module's state_dict (its
                        OrderedDict carries _metadata, so the pickle ends with BUILD), an int64 buffer,
                        a non-contiguous transpose, a view with a storage offset that shares its storage
                        with another entry, float16 (with a subnormal, inf and -0.0), bfloat16, a scalar
                        and an nn.Parameter (pickled through torch._utils._rebuild_parameter).
  tiny_state_dict.json  expected float tensors: {name: {"shape": [...], "bits": [...]}} where bits are the
                        float32 bit patterns of the row-major values (exact, including -0.0 and inf), and
                        "skipped": the integer buffers a reader should leave out.
  legacy.bin            the same kind of dict in the pre-1.6 (non-zip) torch format.
  malicious.bin         a zip laid out like torch.save whose data.pkl calls os.system('echo pwned'). The
                        pickle opcodes are written by hand; nothing here ever unpickles it.
"""
import io
import json
import struct
import zipfile
from collections import OrderedDict

import torch

torch.manual_seed(0)


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(5, 3)
        self.LayerNorm = torch.nn.LayerNorm(3)
        self.dense = torch.nn.Linear(3, 2)
        self.register_buffer("position_ids", torch.arange(4).unsqueeze(0))  # int64
        self.register_buffer("token_type_ids", torch.zeros(1, 4, dtype=torch.int32))


sd = Tiny().state_dict()
big = torch.randn(3, 4)
sd["extra.transposed"] = torch.randn(3, 4).t()  # (4, 3), stride (1, 4)
sd["extra.shared_base"] = big
sd["extra.offset_view"] = big[1, 1:]  # storage offset 5, shares big's storage
sd["extra.half"] = torch.tensor([[1.0, -2.5, 65504.0], [6e-8, float("inf"), -0.0]], dtype=torch.float16)
sd["extra.bf16"] = torch.randn(5).bfloat16()
sd["extra.scalar"] = torch.tensor(3.5)
sd["extra.param"] = torch.nn.Parameter(torch.randn(2))
assert not sd["extra.transposed"].is_contiguous()
torch.save(sd, "tiny_state_dict.bin")


def bits(t):
    flat = t.detach().float().contiguous().flatten().tolist()
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in flat]


expected = OrderedDict()
for name, t in sd.items():
    if t.is_floating_point():
        expected[name] = {"shape": list(t.shape), "bits": bits(t)}
expected = {"tensors": expected, "skipped": [n for n, t in sd.items() if not t.is_floating_point()]}
with open("tiny_state_dict.json", "w") as f:
    json.dump(expected, f, indent=1)

torch.save(OrderedDict(w=torch.ones(2)), "legacy.bin", _use_new_zipfile_serialization=False)

# PROTO 2; GLOBAL 'os system'; BINUNICODE 'echo pwned'; TUPLE1; REDUCE; STOP
payload = b"echo pwned"
pkl = b"\x80\x02" + b"cos\nsystem\n" + b"X" + struct.pack("<I", len(payload)) + payload + b"\x85R."
with zipfile.ZipFile("malicious.bin", "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", pkl)
    z.writestr("archive/version", "3\n")
