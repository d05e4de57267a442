import ai.djl.ndarray.NDManager;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds a random *ForTokenClassification (3 tags) over a family's base checkpoint, saves it as bert-ft saves a run,
 * and prints bert-ft's logits for the text "w5 w17 w42 w8 w91 w33" (ids "<s> ... </s>") on one line:
 * {"ids": [...], "logits": [T * 3 values]}; scripts/check-hf-token-heads.py loads the saved model in Transformers.
 *
 * Usage: java -cp target/bert-ft.jar scripts/TokenHeads.java BASE_DIR OUT_DIR
 */
public class TokenHeads {
    public static void main(String[] args) {
        bertft.model.Torch.init();
        Path base = Path.of(args[0]);
        Path out = Path.of(args[1]);
        try (TaskModel m = TaskModel.create(Checkpoint.read(base), TaskModel.Head.TOKEN, 3, TaskModel.Pooling.CLS,
                        0.1, 7, base.toString(), false);
                BertTokenizer tok = BertTokenizer.load(base, 16);
                NDManager nd = NDManager.newBaseManager()) {
            JsonObject extra = new JsonObject();
            JsonObject id2label = new JsonObject();
            JsonObject label2id = new JsonObject();
            List<String> tags = List.of("O", "B-X", "I-X");
            for (int i = 0; i < 3; i++) {
                id2label.addProperty(Integer.toString(i), tags.get(i));
                label2id.addProperty(tags.get(i), i);
            }
            extra.add("id2label", id2label);
            extra.add("label2id", label2id);
            Checkpoint.writeInto(out, m.checkpoint(extra), tok);
            var e = tok.encode("w5 w17 w42 w8 w91 w33");
            float[] logits = m.forward(Batch.of(List.of(e), nd)).toFloatArray();
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
