import ai.djl.ndarray.NDManager;
import bertft.run.TrainedModel;
import bertft.text.Batch;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a token-classification checkpoint (a HuggingFace *ForTokenClassification directory or a run) as bert-ft's
 * commands do and prints its task, labels and logits for TEXT: {"task": ..., "labels": [...], "ids": [...],
 * "logits": [T * C values]}. Usage: java -cp target/bert-ft.jar scripts/TokenLogits.java DIR TEXT
 */
public class TokenLogits {
    public static void main(String[] args) {
        try (TrainedModel m = TrainedModel.load(Path.of(args[0])); NDManager nd = NDManager.newBaseManager()) {
            var e = m.tokenizer().encode(args[1]);
            float[] logits = m.forward().logits(List.of(e));
            StringBuilder sb = new StringBuilder("{\"task\": \"" + m.kind() + "\", \"labels\": [");
            for (int i = 0; i < m.labels().size(); i++) {
                sb.append(i == 0 ? "\"" : ", \"").append(m.labels().get(i)).append('"');
            }
            sb.append("], \"ids\": [");
            for (int i = 0; i < e.getIds().length; i++) {
                sb.append(i == 0 ? "" : ", ").append(e.getIds()[i]);
            }
            sb.append("], \"logits\": [");
            for (int i = 0; i < logits.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(logits[i]);
            }
            System.out.println(sb.append("]}"));
        }
    }
}
