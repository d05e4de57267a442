import bertft.data.TaggedData;
import bertft.run.TrainedModel;
import bertft.text.WordWindows;
import java.nio.file.Path;
import java.util.List;

/**
 * Prints, for the first N sentences of a CoNLL file, each window's input ids and the token-classification logits
 * bert-ft computes for them, one JSON object per line: {"ids": [...], "classes": C, "logits": [T * C values]}.
 * scripts/check-hf-tagger.py feeds the same ids to Transformers and compares.
 *
 * Usage: java -cp target/bert-ft.jar scripts/TagLogits.java RUN_DIR FILE.conll N > logits.jsonl
 */
public class TagLogits {
    public static void main(String[] args) {
        try (TrainedModel m = TrainedModel.load(Path.of(args[0]))) {
            List<TaggedData.Sentence> sentences = TaggedData.read(Path.of(args[1]), null).sentences();
            int n = Math.min(Integer.parseInt(args[2]), sentences.size());
            int stride = m.spec(null, java.util.Map.of()).docStride();
            for (TaggedData.Sentence s : sentences.subList(0, n)) {
                for (WordWindows.Window w : m.tokenizer().words(s.words(), m.tokenizer().maxLength(), stride).windows()) {
                    float[] logits = m.forward().logits(List.of(w.encoding()));
                    StringBuilder sb = new StringBuilder("{\"ids\": [");
                    for (int i = 0; i < w.ids().length; i++) {
                        sb.append(i == 0 ? "" : ", ").append(w.ids()[i]);
                    }
                    sb.append("], \"classes\": ").append(m.labels().size()).append(", \"logits\": [");
                    for (int i = 0; i < logits.length; i++) {
                        sb.append(i == 0 ? "" : ", ").append(logits[i]);
                    }
                    System.out.println(sb.append("]}"));
                }
            }
        }
    }
}
