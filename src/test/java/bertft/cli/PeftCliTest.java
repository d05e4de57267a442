package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import bertft.model.AdapterDir;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEFT adapter directories through the commands: classify and evaluate load one (made by Python's PEFT, or with
 * {@code --base}), {@code merge} folds it into an ordinary checkpoint, export writes the merged model, and bad
 * adapters are one line with exit 2 and nothing written.
 */
class PeftCliTest {
    static final Path PEFT = Paths.get("..", "shared", "golden", "peft");
    static final Path FAMILIES = Paths.get("..", "shared", "golden", "families");

    static JsonObject golden(String name) throws IOException {
        return JsonParser.parseString(Files.readString(PEFT.resolve(name).resolve("golden.json"))).getAsJsonObject();
    }

    /** The probabilities classify prints for one text ({@code neg=0.2084 neu=...}), by label order. */
    static double[] probabilities(String out, List<String> labels) {
        double[] p = new double[labels.size()];
        for (int i = 0; i < labels.size(); i++) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b" + labels.get(i) + "=([0-9.]+)").matcher(out);
            assertTrue(m.find(), out);
            p[i] = Double.parseDouble(m.group(1));
        }
        return p;
    }

    static double[] softmax(JsonArray logits) {
        double[] e = new double[logits.size()];
        double sum = 0;
        for (int i = 0; i < e.length; i++) {
            e[i] = Math.exp(logits.get(i).getAsDouble());
            sum += e[i];
        }
        for (int i = 0; i < e.length; i++) {
            e[i] /= sum;
        }
        return e;
    }

    static void assertClose(double[] want, double[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1.5e-4, what + " [" + i + "]"); // classify prints 4 decimals
        }
    }

    /** classify on an adapter saved by Python's PEFT (no config, no tokenizer: both its base's) gives PEFT's output. */
    @Test
    void classifyRunsAnAdapterMadeByPeft() throws IOException {
        for (String name : List.of("bert-lora", "deberta-v2-lora", "bert-ia3")) {
            JsonObject g = golden(name);
            String text = g.getAsJsonArray("texts").get(0).getAsString();
            var r = CliTest.run("classify", "--model", PEFT.resolve(name).toString(), "--text", text);
            assertEquals(0, r.code(), r.err());
            double[] want = softmax(g.getAsJsonArray("adapter_logits").get(0).getAsJsonArray());
            assertClose(want, probabilities(r.out(), List.of("neg", "neu", "pos")), name);
            // --base names the base instead of base_model_name_or_path
            String family = name.substring(0, name.lastIndexOf('-'));
            var b = CliTest.run("classify", "--model", PEFT.resolve(name).toString(), "--base",
                    FAMILIES.resolve(family).resolve("seqcls").toString(), "--text", text);
            assertEquals(0, b.code(), b.err());
            assertEquals(r.out(), b.out());
        }
    }

    /** merge writes an ordinary checkpoint (no adapter files) whose logits are PEFT's merged ones; export writes it. */
    @Test
    void mergeFoldsTheAdapterIntoAnOrdinaryCheckpoint(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("merged");
        var r = CliTest.run("merge", PEFT.resolve("roberta-lora").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(out.resolve(AdapterDir.CONFIG)));
        assertTrue(Files.exists(out.resolve("model.safetensors")) && Files.exists(out.resolve("tokenizer.json")));
        JsonObject g = golden("roberta-lora");
        try (TaskModel m = TaskModel.load(Checkpoint.read(out), TaskModel.Head.CLASSIFIER, "merged");
                NDManager nd = NDManager.newBaseManager()) {
            float[] got = m.forward(bertft.model.PeftGoldenTest.batch(g, nd)).toFloatArray();
            JsonArray want = g.getAsJsonArray("merged_logits");
            for (int i = 0; i < got.length; i++) {
                assertEquals(want.get(i / 3).getAsJsonArray().get(i % 3).getAsDouble(), got[i], 1e-4, "logit " + i);
            }
        }
        // not over something that is there, and not from something that is no adapter
        var again = CliTest.run("merge", PEFT.resolve("roberta-lora").toString(), "--out", out.toString());
        assertEquals(2, again.code());
        assertEquals("bert-ft: --out " + out + ": is not empty; give a new or empty directory, or add --overwrite to"
                + " replace it", again.err().strip());
        var full = CliTest.run("merge", out.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, full.code());
        assertEquals("bert-ft: " + out + ": is not a PEFT adapter directory (no adapter_config.json); it is a full"
                + " model already", full.err().strip());
        // export of an adapter writes the merged model: it classifies as the adapter does
        Path onnx = tmp.resolve("onnx");
        var e = CliTest.run("export", PEFT.resolve("roberta-lora").toString(), "--out", onnx.toString());
        assertEquals(0, e.code(), e.err());
        String text = g.getAsJsonArray("texts").get(0).getAsString();
        var viaOnnx = CliTest.run("classify", "--model", onnx.toString(), "--text", text);
        assertEquals(0, viaOnnx.code(), viaOnnx.err());
        assertClose(softmax(g.getAsJsonArray("adapter_logits").get(0).getAsJsonArray()),
                probabilities(viaOnnx.out(), List.of("neg", "neu", "pos")), "onnx export of the adapter");
    }

    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    static void assertRefused(CliTest.Run r, String message) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("bert-ft: " + message, r.err().strip());
    }

    /** Bad adapters and bad LoRA settings: one line, exit 2, nothing written. */
    @Test
    void badAdaptersAreOneLineAndWriteNothing(@TempDir Path tmp) throws IOException {
        Path bertLora = PEFT.resolve("bert-lora").toAbsolutePath().normalize();
        Path preds = tmp.resolve("preds.csv");
        Path in = Files.writeString(tmp.resolve("in.csv"), "text\nw5 w17\n");
        // another family as the base
        Path roberta = FAMILIES.resolve("roberta").resolve("seqcls");
        assertRefused(CliTest.run("classify", in.toString(), "--model", bertLora.toString(), "--base", roberta.toString(),
                "--out", preds.toString()), bertLora.resolve("adapter_model.safetensors") + ": tensor"
                + " bert.encoder.layer.0.attention.self.query.lora_A.weight does not belong to a roberta model (its"
                + " weights are roberta.*; an adapter made for another family?)");
        // a base of the family with other dimensions
        Path wide = tmp.resolve("wide");
        Checkpoint c = Checkpoint.read(FAMILIES.resolve("bert").resolve("seqcls"));
        JsonObject json = c.config().json().deepCopy();
        json.addProperty("hidden_size", 48);
        json.addProperty("intermediate_size", 40);
        Files.createDirectories(wide);
        Files.writeString(wide.resolve("config.json"), json.toString());
        java.util.Map<String, bertft.checkpoint.TensorData> w = new java.util.LinkedHashMap<>();
        bertft.model.BertConfig wc = bertft.model.BertConfig.read(wide.resolve("config.json"));
        java.util.Random rng = new java.util.Random(1);
        wc.family().shapes().apply(wc).forEach((k, s) -> w.put(k, bertft.model.Bert.init(k, s, 0.02, rng)));
        try (var tok = bertft.text.BertTokenizer.load(FAMILIES.resolve("bert").resolve("seqcls"), 16)) {
            new Checkpoint(wc, w, java.util.Map.of()).write(wide, tok);
        }
        assertRefused(CliTest.run("classify", in.toString(), "--model", bertLora.toString(), "--base", wide.toString(),
                "--out", preds.toString()), bertLora.resolve("adapter_model.safetensors")
                + ": encoder.layer.0.attention.self.query.lora_A.weight has shape [4, 32], the base bert model"
                + " (hidden_size 48) needs [4, 48] (an adapter made for another base?)");
        // a truncated adapter file
        Path cut = copy(bertLora, tmp.resolve("cut"));
        byte[] bytes = Files.readAllBytes(cut.resolve(AdapterDir.WEIGHTS));
        Files.write(cut.resolve(AdapterDir.WEIGHTS), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        var truncated = CliTest.run("classify", in.toString(), "--model", cut.toString(), "--base",
                FAMILIES.resolve("bert").resolve("seqcls").toString(), "--out", preds.toString());
        assertEquals(2, truncated.code(), truncated.err());
        assertEquals(1, truncated.err().strip().lines().count(), truncated.err());
        assertTrue(truncated.err().startsWith("bert-ft: " + cut.resolve(AdapterDir.WEIGHTS) + ": tensor '")
                && truncated.err().contains("lie outside the"), truncated.err());
        // an adapter directory without its config
        Path noConfig = copy(bertLora, tmp.resolve("noconfig"));
        Files.delete(noConfig.resolve(AdapterDir.CONFIG));
        assertRefused(CliTest.run("classify", in.toString(), "--model", noConfig.toString(), "--out", preds.toString()),
                noConfig + ": has adapter_model.safetensors but no adapter_config.json (copy the adapter's config from"
                        + " where it was trained)");
        assertFalse(Files.exists(preds), "nothing written");
        // training: a target module the family does not have (the valid ones listed), r 0, r larger than the layer
        Path base = FAMILIES.resolve("bert").resolve("seqcls").toAbsolutePath();
        Files.writeString(tmp.resolve("train.csv"), "text,label\nw5 w6,neg\nw7 w8,pos\n");
        Path task = Files.writeString(tmp.resolve("t.yaml"), String.join("\n", "task: classification", "model: " + base,
                "data-dir: " + tmp, "train: train.csv", "labels: [neg, pos]", "max-length: 16", "strategy: lora", ""));
        Path out = tmp.resolve("run");
        assertRefused(CliTest.run("train", task.toString(), "--out", out.toString(), "--lora-targets", "query,foo"),
                "--lora-targets: no module 'foo' in bert; valid: attention.self.query, attention.self.key,"
                        + " attention.self.value, attention.output.dense, intermediate.dense, output.dense");
        var zero = CliTest.run("train", task.toString(), "--out", out.toString(), "--lora-r", "0");
        assertEquals(2, zero.code(), zero.err());
        assertTrue(zero.err().strip().startsWith("bert-ft: --lora-r"), zero.err());
        assertRefused(CliTest.run("train", task.toString(), "--out", out.toString(), "--lora-r", "33"),
                "--lora-r: 33 is larger than module encoder.layer.0.attention.self.query (32 x 32); use at most 32");
        assertFalse(Files.exists(out), "nothing written");
    }

    /** {@code serve --adapter}: a malformed or repeated NAME=DIR, an adapter of another base, ONNX: one line, exit 2. */
    @Test
    void serveRefusesBadAdaptersInOneLine(@TempDir Path tmp) {
        Path base = bertft.Tiny.checkpoint(tmp.resolve("base"), 1);
        Path a = bertft.Tiny.lora(tmp.resolve("a"), base, 2, TaskModel.Pooling.MEAN, "neg", "pos");
        assertRefused(CliTest.run("serve", "--model", base.toString(), "--adapter", "sst2"),
                "--adapter sst2: expected NAME=DIR, e.g. --adapter sst2=runs/sst2-lora (`bert-ft serve --help` lists the"
                + " options)");
        assertRefused(CliTest.run("serve", "--model", base.toString(), "--adapter", "x=" + a, "--adapter", "x=" + a),
                "--adapter x=" + a + ": the name x is given twice; give each adapter its own name (`bert-ft serve --help`"
                + " lists the options)");
        var other = CliTest.run("serve", "--model", base.toString(), "--port", "0", "--adapter", "a=" + a,
                "--adapter", "d=" + PEFT.resolve("distilbert-lora"));
        assertEquals(2, other.code(), other.err());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("an adapter made for another family?"), other.err());
        var onnx = CliTest.run("serve", "--model", base.toString(), "--port", "0", "--runtime", "onnx", "--adapter",
                "a=" + a);
        assertEquals(2, onnx.code(), onnx.err());
        assertTrue(onnx.err().startsWith("bert-ft: runtime onnx: adapters share their base on libtorch only"),
                onnx.err());
    }

    /**
     * A Python adapter (no config.json) with a head, on a base whose config says BertModel: merged, it is a
     * classifier (it read as a base model, so serve offered /embed only).
     */
    @Test
    void aMergedPythonAdapterOnABaseModelIsAClassifier(@TempDir Path tmp) throws IOException {
        Path base = bertft.Tiny.checkpoint(tmp.resolve("base"), 1);
        JsonObject config = JsonParser.parseString(Files.readString(base.resolve("config.json"))).getAsJsonObject();
        JsonArray arch = new JsonArray();
        arch.add("BertModel");
        config.add("architectures", arch);
        Files.writeString(base.resolve("config.json"), config.toString());
        Path a = bertft.Tiny.lora(tmp.resolve("a"), base, 2, TaskModel.Pooling.MEAN, "neg", "pos");
        for (String f : List.of("config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                "special_tokens_map.json")) {
            Files.deleteIfExists(a.resolve(f)); // as Python's PEFT saves it
        }
        Path out = tmp.resolve("merged");
        var r = CliTest.run("merge", a.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("classification", bertft.api.ModelInfo.task(out.toString()));
    }
}
