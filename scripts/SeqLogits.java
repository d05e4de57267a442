import bertft.run.TrainedModel;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a sequence-classification model (a run or HuggingFace checkpoint) as bert-ft's commands do and prints, per
 * TEXT, one JSON line {"text": ..., "ids": [...], "logits": [...]} with bert-ft's token ids and logits, for
 * scripts/check-hf-interop.py --ids. Usage: java -cp 'target/bert-ft.jar:target/lib/*' scripts/SeqLogits.java DIR
 * TEXT...
 */
public class SeqLogits {
    public static void main(String[] args) {
        try (TrainedModel m = TrainedModel.load(Path.of(args[0]))) {
            for (int t = 1; t < args.length; t++) {
                var e = m.tokenizer().encode(args[t]);
                float[] logits = m.forward().logits(List.of(e));
                StringBuilder sb = new StringBuilder("{\"text\": ").append(com.google.gson.JsonParser.parseString(
                        new com.google.gson.JsonPrimitive(args[t]).toString())).append(", \"ids\": [");
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
}
