import bertft.run.TrainedModel;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a classifier as bert-ft's commands do (a PEFT adapter directory: its base with the adapter merged in) and
 * prints the token ids and logits of TEXT: {"ids": [...], "logits": [C values]}.
 * Usage: java -cp target/bert-ft.jar scripts/PeftLogits.java DIR TEXT
 */
public class PeftLogits {
    public static void main(String[] args) {
        try (TrainedModel m = TrainedModel.load(Path.of(args[0]))) {
            var e = m.tokenizer().encode(args[1]);
            float[] logits = m.forward().logits(List.of(e));
            StringBuilder sb = new StringBuilder("{\"ids\": [");
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
