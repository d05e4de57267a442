import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Classifies one text with a `bert-ft export` directory: ONNX Runtime and a tokenizer, no bert-ft. */
public class OnnxClassify {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]); // the directory `bert-ft export` wrote
        Encoding e = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json")).encode(args[1]);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString())) {
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put("input_ids", OnnxTensor.createTensor(env, new long[][] {e.getIds()}));
            in.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {e.getAttentionMask()}));
            if (session.getInputNames().contains("token_type_ids")) { // BERT and ELECTRA; not RoBERTa, DistilBERT
                in.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {e.getTypeIds()}));
            }
            float[][] logits = (float[][]) session.run(in).get("logits").get().getValue();
            System.out.println(Arrays.toString(logits[0])); // one per label: config.json's id2label
        }
    }
}
