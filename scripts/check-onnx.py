#!/usr/bin/env python3
"""Checks an ONNX export of bert-ft with the ONNX library and ONNX Runtime (for people with Python; CI does not
need it).

    scripts/check-onnx.py EXPORT_DIR_OR_MODEL.onnx [--expected FILE.json|FILE.npz] [--tolerance 1e-4]

1. onnx.checker.check_model(full_check=True): structure, opset, types and shapes inferred through every node.
2. With --expected: runs the model on ONNX Runtime (CPU) with the inputs in FILE and compares every output named
   there, printing max |diff|. FILE is JSON {"inputs": {"input_ids": [[...]], ...}, "outputs": {"logits": [[...]]}}
   or an .npz with arrays named input_ids, attention_mask, token_type_ids and the outputs. bert-ft's tests leave
   such files beside the exports in target/check-onnx/.

Needs: onnx and numpy (Debian: apt-get install python3-onnx, whose 1.12 checks opsets up to 17), and onnxruntime for
--expected (pip install onnx onnxruntime numpy). Exit 0 when everything passes, 1 otherwise.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="an export directory (its config.json names the .onnx) or a .onnx file")
    ap.add_argument("--expected", help="inputs and expected outputs (.json or .npz)")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="max |diff| allowed (default 1e-4)")
    a = ap.parse_args()

    path = a.model
    if os.path.isdir(path):
        name = "model.onnx"
        cfg = os.path.join(path, "config.json")
        if os.path.exists(cfg):
            name = json.load(open(cfg)).get("bert_ft_onnx", {}).get("file", name)
        path = os.path.join(path, name)
    model = onnx.load(path)
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    onnx.checker.check_model(model, full_check=True)
    print(f"{path}: onnx {onnx.__version__} checker (full_check): ok; IR {model.ir_version}, opsets {opsets}, "
          f"{len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers, "
          f"{os.path.getsize(path) / 1e6:.1f} MB")
    print("  inputs: " + ", ".join(f"{i.name} {dims(i)}" for i in model.graph.input))
    print("  outputs: " + ", ".join(f"{o.name} {dims(o)}" for o in model.graph.output))

    if not a.expected:
        return 0
    import onnxruntime as ort  # only here: Debian's python3-onnx runs the checker without it

    inputs, outputs = load(a.expected)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    wanted = [i.name for i in session.get_inputs()]
    feed = {k: v.astype(np.int64) for k, v in inputs.items() if k in wanted}
    got = dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))
    ok = True
    for name, want in outputs.items():
        diff = float(np.max(np.abs(got[name] - want)))
        passed = diff <= a.tolerance
        ok &= passed
        print(f"  onnxruntime {ort.__version__}: {name} {list(got[name].shape)} max |diff| {diff:.2e} "
              f"{'<=' if passed else '>'} {a.tolerance:g}")
    return 0 if ok else 1


def dims(v):
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]


def load(file):
    if file.endswith(".npz"):
        z = np.load(file)
        return ({k: z[k] for k in z.files if k in INPUTS}, {k: z[k] for k in z.files if k not in INPUTS})
    j = json.load(open(file))
    return ({k: np.array(v) for k, v in j["inputs"].items()},
            {k: np.array(v, dtype=np.float32) for k, v in j["outputs"].items()})


if __name__ == "__main__":
    sys.exit(main())
