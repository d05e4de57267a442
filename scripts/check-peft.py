#!/usr/bin/env python3
"""PEFT round trip: loads bert-ft adapter runs (strategy lora / ia3) with HuggingFace PEFT, as a Python user would
(PeftModel.from_pretrained(AutoModelFor<task>.from_pretrained(base), run), the class by the adapter's task_type:
SEQ_CLS, QUESTION_ANS (start and end logits of every token compared) or TOKEN_CLS (every token's logits)), and
compares their logits with bert-ft's own (scripts/PeftLogits.java, run through java on target/bert-ft.jar) for TEXT.
Usage: . $PEER/env.sh && $PY scripts/check-peft.py TEXT RUN ... Exits 1 when a run does not load cleanly or a logit
differs by more than 1e-4. Each run is also merged (`bert-ft merge RUN --out TMP`) and the merged checkpoint loaded in
Transformers alone (no PEFT), which must give the same logits."""
import json, os, subprocess, sys, tempfile
import torch
from transformers import AutoModelForQuestionAnswering, AutoModelForSequenceClassification, \
    AutoModelForTokenClassification
from peft import PeftModel

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
text, runs = sys.argv[1], sys.argv[2:]
ok = True
AUTO = {"SEQ_CLS": AutoModelForSequenceClassification, "QUESTION_ANS": AutoModelForQuestionAnswering,
        "TOKEN_CLS": AutoModelForTokenClassification}


def flat(out):
    """The logits as bert-ft's Forward lays them out: (C) per text, (T, 2) start/end for QA, (T, C) per token."""
    if hasattr(out, "start_logits"):
        return torch.stack([out.start_logits, out.end_logits], dim=-1).reshape(-1)
    return out.logits.reshape(-1)


for run in runs:
    out = subprocess.run(["java", "-cp", os.path.join(root, "target", "bert-ft.jar"),
                          os.path.join(root, "scripts", "PeftLogits.java"), run, text],
                         capture_output=True, text=True, check=True).stdout
    java = json.loads(out.strip().splitlines()[-1])
    cfg = json.load(open(os.path.join(run, "adapter_config.json")))
    auto = AUTO[cfg["task_type"]]
    labels = json.load(open(os.path.join(run, "config.json"))).get("id2label", {})
    extra = {} if cfg["task_type"] == "QUESTION_ANS" else {"num_labels": len(labels)}
    base = auto.from_pretrained(cfg["base_model_name_or_path"], ignore_mismatched_sizes=True, **extra)
    model = PeftModel.from_pretrained(base, run).eval()
    with torch.no_grad():
        py = flat(model(input_ids=torch.tensor([java["ids"]])))
    diff = (py - torch.tensor(java["logits"])).abs().max().item()
    merged_dir = os.path.join(tempfile.mkdtemp(), "merged")
    subprocess.run(["java", "-jar", os.path.join(root, "target", "bert-ft.jar"), "merge", run, "--out", merged_dir],
                   capture_output=True, text=True, check=True)
    merged, info = auto.from_pretrained(merged_dir, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    with torch.no_grad():
        mpy = flat(merged.eval()(input_ids=torch.tensor([java["ids"]])))
    mdiff = (mpy - torch.tensor(java["logits"])).abs().max().item()
    trained = sum(p.numel() for n, p in model.named_parameters() if "lora_" in n or "ia3_" in n or "modules_to_save" in n)
    print(f"{run}: {cfg['peft_type']} {type(model.base_model.model).__name__}, modules_to_save "
          f"{cfg['modules_to_save']}, {trained} adapter+head parameters; bert-ft {[round(x, 5) for x in java['logits'][:4]]}"
          f" PEFT {[round(float(x), 5) for x in py[:4]]}{' (first 4 of ' + str(len(py)) + ')' if len(py) > 4 else ''}; max |diff| {diff:.2e}; merged in Transformers alone: loading "
          f"problems {bad or 'none'}, max |diff| {mdiff:.2e}")
    ok &= diff <= 1e-4 and mdiff <= 1e-4 and not bad
sys.exit(0 if ok else 1)
