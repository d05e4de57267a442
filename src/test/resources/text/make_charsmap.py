"""Makes fullwidth-charsmap.bin, the precompiled charsmap SentencePieceTest puts into its spm.model.

Run with sentencepiece 0.2.2: SentencePiece compiles normalization rules (source code points TAB target code
points) into the double-array trie that spm.model carries as normalizer_spec.precompiled_charsmap.
"""
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

RULES = "FF48\t68\nFF45\t65\nFF4C\t6C\nFF4F\t6F\nFB01\t66 69\n"  # ｈ ｅ ｌ ｏ -> h e l o, ﬁ -> f i
open("rules.tsv", "w").write(RULES)
open("corpus.txt", "w").write("hello world\nfish hello\nworld of fish\n" * 50)
spm.SentencePieceTrainer.train(input="corpus.txt", model_prefix="t", vocab_size=20, model_type="unigram",
                               normalization_rule_tsv="rules.tsv", hard_vocab_limit=False)
m = pb.ModelProto()
m.ParseFromString(open("t.model", "rb").read())
open("fullwidth-charsmap.bin", "wb").write(m.normalizer_spec.precompiled_charsmap)
