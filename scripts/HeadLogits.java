import bertft.infer.InferenceRuntime;
import bertft.run.TrainedModel;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a task model (a run or HuggingFace checkpoint: sequence classification, QA or token classification) on
 * libtorch as bert-ft's commands do and prints, per input, one JSON line {"ids": [...], "type_ids": [...],
 * "logits": [...]} with bert-ft's token ids and its raw logits, row-major ((C) for a classifier, (T, 2) start/end for
 * QA, (T, C) for token classification), for scripts/check-hf-heads.py. An input is TEXT, or QUESTION and CONTEXT
 * joined by a tab (a pair, as QA encodes it).
 * Usage: java -cp 'target/bert-ft.jar:target/lib/*' scripts/HeadLogits.java DIR INPUT...
 */
public class HeadLogits {
    public static void main(String[] args) {
        try (TrainedModel m = TrainedModel.load(Path.of(args[0]), InferenceRuntime.TORCH)) {
            for (int t = 1; t < args.length; t++) {
                String[] pair = args[t].split("\t", 2);
                var e = pair.length == 2 ? m.tokenizer().encode(pair[0], pair[1]) : m.tokenizer().encode(args[t]);
                float[] logits = m.forward().logits(List.of(e));
                StringBuilder sb = new StringBuilder("{\"ids\": ").append(list(e.getIds()))
                        .append(", \"type_ids\": ").append(list(e.getTypeIds())).append(", \"logits\": [");
                for (int i = 0; i < logits.length; i++) {
                    sb.append(i == 0 ? "" : ", ").append(logits[i]);
                }
                System.out.println(sb.append("]}"));
            }
        }
    }

    private static String list(long[] xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(xs[i]);
        }
        return sb.append("]").toString();
    }
}
