package bertft.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.Tiny;
import bertft.model.Bert;
import bertft.model.Checkpoint;
import bertft.model.Objective;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.BertTokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PredictorTest {
    @Test
    void lengthSortedBatchesComeBackInInputOrder() {
        Torch.init();
        List<String> texts = List.of("the battery was terrible and it broke after two days", "good", "bad price",
                "i love the movie , the phone and the price", "awful", "great product");
        try (Bert bert = Tiny.bert(4); BertTokenizer tok = Tiny.tokenizer(64);
                TaskModel model = TaskModel.create(new Checkpoint(bert.config(), bert.tensors(), Map.of()),
                        TaskModel.Head.CLASSIFIER, 3, TaskModel.Pooling.MEAN, 0, 2, "tiny", true)) {
            List<Encoding> enc = texts.stream().map(tok::encode).toList();
            float[][] batched = new Predictor(model, Objective.SINGLE_LABEL, 4).scores(enc);
            assertEquals(texts.size(), batched.length);
            for (int i = 0; i < texts.size(); i++) {
                float[] alone = new Predictor(model, Objective.SINGLE_LABEL, 4).scores(List.of(enc.get(i)))[0];
                assertArrayEquals(alone, batched[i], 1e-5f, "row " + i + " scored in a batch of others = alone");
            }
        }
    }
}
