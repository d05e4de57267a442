"""bert-ft's sequence-classification heads that HuggingFace Transformers has no class for.

Written by bert-ft next to a model whose config says `bert_ft_pooling: mean` or `sentence` (any family) or `cls`
(BERT), and
named in config.json's `auto_map`, so that

    AutoModelForSequenceClassification.from_pretrained(run, trust_remote_code=True)

computes what bert-ft computes. Each class is the family's own *ForSequenceClassification (same modules, same
weight names); only the vector the head reads changes: the mean of the real tokens (`mean`), that mean
L2-normalised (`sentence`: the sentence embedding, as sentence-transformers' Normalize), or BERT's raw [CLS] hidden
state without the pooler (`cls`).
"""
import torch
import transformers
from transformers.modeling_outputs import SequenceClassifierOutput


def _pool(hidden, mask, pooling):
    """(B, T, H) -> (B, H): the first token, or the mean over tokens whose mask is 1 (`sentence`: L2-normalised)."""
    if pooling in ("mean", "sentence"):
        m = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2, dim=1, eps=1e-12) if pooling == "sentence" else mean
    return hidden[:, 0]


class _BertFtPooled:
    """forward() with bert-ft's pooling in front of the family's head; the rest is the family's class."""

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        base = getattr(self, self.base_model_prefix)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        args = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None and self.config.model_type != "distilbert":
            args["token_type_ids"] = token_type_ids
        hidden = base(**args)[0]  # (B, T, H)
        pooled = _pool(hidden, attention_mask, getattr(self.config, "bert_ft_pooling", "pooler"))  # (B, H)
        logits = self._bert_ft_head(pooled)
        loss = None
        if labels is not None:
            if self.config.problem_type == "multi_label_classification":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
            elif self.config.num_labels == 1:
                loss = torch.nn.functional.mse_loss(logits.squeeze(-1), labels.float())
            else:
                loss = torch.nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def _bert_ft_head(self, pooled):
        kind = self.config.model_type
        if kind == "bert":
            return self.classifier(self.dropout(pooled))  # no pooler: bert-ft's `cls`, `mean` and `sentence`
        if kind == "distilbert":
            x = torch.nn.functional.relu(self.pre_classifier(pooled))
            return self.classifier(self.dropout(x))
        if kind == "deberta-v2":
            return self.classifier(self.dropout(self.pooler(pooled.unsqueeze(1))))
        # RoBERTa, XLM-R, CamemBERT, ELECTRA: their heads read features[:, 0]; give them the pooled vector there
        return self.classifier(pooled.unsqueeze(1))


def _class(arch):
    base = getattr(transformers, arch + "ForSequenceClassification")
    return type("BertFt" + arch + "ForSequenceClassification", (_BertFtPooled, base), {})


BertFtBertForSequenceClassification = _class("Bert")
BertFtDistilBertForSequenceClassification = _class("DistilBert")
BertFtRobertaForSequenceClassification = _class("Roberta")
BertFtXLMRobertaForSequenceClassification = _class("XLMRoberta")
BertFtCamembertForSequenceClassification = _class("Camembert")
BertFtElectraForSequenceClassification = _class("Electra")
BertFtDebertaV2ForSequenceClassification = _class("DebertaV2")
