#!/usr/bin/env python3
"""PEFT 0.5 LoRA adapters for question answering (task QUESTION_ANS on ../shared/golden/families/<family>/qa, head
qa_outputs) and token classification (task TOKEN_CLS on <family>/base loaded as *ForTokenClassification with 5 labels,
head classifier), made as a Python user makes them (get_peft_model, save_pretrained(safe_serialization=True)): the
test fixtures of src/test/resources/peft/<family>-{qa,token} (PeftQaTokenGoldenTest). A and B random
(init_lora_weights=False) and the head moved, so both matter; golden.json holds the inputs (the families' golden
rows) and PEFT's logits unmerged and after merge_and_unload.
Usage: . $PEER/env.sh && $PY scripts/make-peft-qa-token.py ../shared/golden/families src/test/resources/peft [SEED]"""
import json, os, shutil, sys
import torch
import transformers as T
import peft
fams_dir, out = sys.argv[1], sys.argv[2]
torch.manual_seed(int(sys.argv[3]) if len(sys.argv) > 3 else 35)
def r(t): return [[[round(float(x), 6) for x in row] for row in b] for b in t] if t.dim() == 3 else \
    [[round(float(x), 6) for x in row] for row in t]
for fam in ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra', 'deberta-v2']:
    g = json.load(open(os.path.join(fams_dir, fam, 'golden.json')))
    ids, mask = torch.tensor(g['input_ids']), torch.tensor(g['attention_mask'])
    targets = ['q_lin', 'v_lin'] if fam == 'distilbert' else None  # PEFT 0.5 has no DistilBERT default
    for kind, task, sub in [('qa', peft.TaskType.QUESTION_ANS, 'qa'), ('token', peft.TaskType.TOKEN_CLS, 'base')]:
        if kind == 'qa':
            base = T.AutoModelForQuestionAnswering.from_pretrained(os.path.join(fams_dir, fam, sub))
        else:
            base = T.AutoModelForTokenClassification.from_pretrained(os.path.join(fams_dir, fam, sub), num_labels=5)
        cfg = peft.LoraConfig(task_type=task, r=4, lora_alpha=8, lora_dropout=0.1, init_lora_weights=False,
                              target_modules=targets)
        model = peft.get_peft_model(base, cfg)
        with torch.no_grad():
            for n, p in model.named_parameters():
                if 'modules_to_save' in n:
                    p.add_(0.05 * torch.randn_like(p))
        model.eval()
        def logits(m):
            with torch.no_grad():
                o = m(input_ids=ids, attention_mask=mask)
            return {'start_logits': r(o.start_logits), 'end_logits': r(o.end_logits)} if kind == 'qa' \
                else {'logits': r(o.logits)}
        unmerged = logits(model)
        d = os.path.join(out, f'{fam}-{kind}'); shutil.rmtree(d, ignore_errors=True)
        model.save_pretrained(d, safe_serialization=True)
        os.remove(os.path.join(d, 'README.md'))
        c = json.load(open(os.path.join(d, 'adapter_config.json')))
        c['base_model_name_or_path'] = f'../../../../../../shared/golden/families/{fam}/{sub}'
        json.dump(c, open(os.path.join(d, 'adapter_config.json'), 'w'), indent=2, sort_keys=True)
        merged = logits(model.merge_and_unload().eval())
        json.dump({'family': fam, 'task_type': c['task_type'], 'base': f'families/{fam}/{sub}', 'peft': peft.__version__,
                   'input_ids': g['input_ids'], 'attention_mask': g['attention_mask'], 'adapter': unmerged,
                   'merged': merged}, open(os.path.join(d, 'golden.json'), 'w'))
        print(f'{fam}-{kind}: {c["task_type"]} targets {c["target_modules"]} modules_to_save {c["modules_to_save"]}, '
              f'files {sorted(os.listdir(d))}')
