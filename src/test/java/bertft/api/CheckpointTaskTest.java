package bertft.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import bertft.Tiny;
import bertft.UserError;
import bertft.cli.CliTest;
import bertft.infer.InferenceRuntime;
import bertft.model.TaskModel;
import bertft.run.TrainedModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "What task is this checkpoint" has one answer ({@code model.CheckpointTask}): the API's {@link ModelInfo#task}
 * (which door serve opens) and loading ({@link TrainedModel#kind}) agree on every kind of checkpoint.
 */
class CheckpointTaskTest {
    @Test
    void theApiAndLoadingGiveTheSameTaskForEveryKindOfCheckpoint(@TempDir Path tmp) throws IOException {
        Map<Path, String> cases = new LinkedHashMap<>();
        // bert-ft runs record their task
        for (String kind : List.of("classification", "sentiment", "multilabel", "regression")) {
            cases.put(Tiny.withHead(tmp.resolve("run-" + kind), 1, "classifier", kind.equals("regression") ? 1 : 3,
                    config(null, null, kind)), kind);
        }
        cases.put(Tiny.qa(tmp.resolve("run-qa"), 1), "qa");
        cases.put(Tiny.tagger(tmp.resolve("run-tags"), 1, 32, "O", "B-X", "I-X"), "token-classification");
        // HuggingFace checkpoints: the architecture, problem_type and the head's outputs
        cases.put(Tiny.withHead(tmp.resolve("hf-cls"), 2, "classifier", 2,
                config("BertForSequenceClassification", null, null)), "classification");
        cases.put(Tiny.withHead(tmp.resolve("hf-multilabel"), 2, "classifier", 3,
                config("BertForSequenceClassification", "multi_label_classification", null)), "multilabel");
        cases.put(Tiny.withHead(tmp.resolve("hf-regression"), 2, "classifier", 1,
                config("BertForSequenceClassification", null, null)), "regression");
        cases.put(Tiny.withHead(tmp.resolve("hf-qa"), 2, "qa_outputs", 2,
                config("BertForQuestionAnswering", null, null)), "qa");
        cases.put(Tiny.withHead(tmp.resolve("hf-tags"), 2, "classifier", 5,
                config("BertForTokenClassification", null, null)), "token-classification");
        cases.put(rewrite(Tiny.checkpoint(tmp.resolve("hf-base"), 2), config("BertModel", null, null)), "embed");
        cases.put(Tiny.checkpoint(tmp.resolve("bare-base"), 2), "embed");
        // no architectures: the head's weights
        cases.put(Tiny.withHead(tmp.resolve("heads-cls"), 3, "classifier", 2, new JsonObject()), "classification");
        cases.put(Tiny.withHead(tmp.resolve("heads-regression"), 3, "classifier", 1, new JsonObject()), "regression");
        cases.put(Tiny.withHead(tmp.resolve("heads-qa"), 3, "qa_outputs", 2, new JsonObject()), "qa");
        // adapters: a bert-ft adapter run, and as Python's PEFT saves one (no config.json), with and without task_type
        Path base = rewrite(Tiny.checkpoint(tmp.resolve("adapter-base"), 4), config("BertModel", null, null));
        cases.put(Tiny.lora(tmp.resolve("adapter-run"), base, 4, TaskModel.Pooling.MEAN, "neg", "pos"),
                "classification");
        Path python = pythonAdapter(Tiny.lora(tmp.resolve("adapter-py"), base, 5, TaskModel.Pooling.CLS, "a", "b", "c"));
        cases.put(python, "classification");
        Path untyped = pythonAdapter(Tiny.lora(tmp.resolve("adapter-py-untyped"), base, 6, TaskModel.Pooling.CLS, "x"));
        JsonObject ac = JsonParser.parseString(Files.readString(untyped.resolve("adapter_config.json"))).getAsJsonObject();
        ac.remove("task_type");
        Files.writeString(untyped.resolve("adapter_config.json"), ac.toString());
        cases.put(untyped, "regression");
        // ONNX exports: their config says
        cases.put(export(tmp.resolve("run-multilabel"), tmp.resolve("export-multilabel")), "multilabel");
        cases.put(export(tmp.resolve("hf-qa"), tmp.resolve("export-qa")).resolve("model.onnx"), "qa");
        cases.put(export(tmp.resolve("hf-base"), tmp.resolve("export-base")), "embed");

        Map<String, String> api = new LinkedHashMap<>();
        Map<String, String> loaded = new LinkedHashMap<>();
        Map<String, String> want = new LinkedHashMap<>();
        cases.forEach((dir, kind) -> {
            String name = dir.getFileName().toString().equals("model.onnx") ? dir.getParent().getFileName() + "/model.onnx"
                    : dir.getFileName().toString();
            want.put(name, kind);
            api.put(name, answer(() -> ModelInfo.task(dir.toString())));
            loaded.put(name, answer(() -> {
                try (TrainedModel m = TrainedModel.load(dir, name.startsWith("export") ? null : InferenceRuntime.TORCH)) {
                    return m.kind().toString();
                }
            }));
        });
        assertEquals(want, api, "ModelInfo.task");
        assertEquals(want, loaded, "TrainedModel.kind");
    }

    /** A task that is not one is the same line from both, not a task string that loading then fails on. */
    @Test
    void anUnknownRecordedTaskIsOneLineFromBoth(@TempDir Path tmp) {
        Path dir = Tiny.withHead(tmp.resolve("m"), 1, "classifier", 2, config(null, null, "sentimental"));
        String want = dir + "/config.json: bert_ft_task.task 'sentimental' is not one of [classification, sentiment,"
                + " multilabel, regression, qa, token-classification] or embed";
        assertEquals(want, assertThrows(UserError.class, () -> ModelInfo.task(dir.toString())).getMessage());
        assertEquals(want, assertThrows(UserError.class, () -> TrainedModel.load(dir, InferenceRuntime.TORCH))
                .getMessage());
    }

    /** A bert-ft adapter run's config says its task: its base is not looked for (a Hub base is not fetched). */
    @Test
    void anAdapterRunsTaskIsReadWithoutItsBase(@TempDir Path tmp) throws IOException {
        Path base = Tiny.checkpoint(tmp.resolve("base"), 1);
        Path adapter = Tiny.lora(tmp.resolve("a"), base, 2, TaskModel.Pooling.MEAN, "neg", "pos");
        try (var files = Files.walk(base)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertEquals("classification", ModelInfo.task(adapter.toString()));
    }

    /** Where the weights must tell, only their headers are read: serve read every weight twice at start-up. */
    @Test
    void theWeightsAreLookedAtThroughTheirHeadersOnly(@TempDir Path tmp) throws IOException {
        Path dir = Tiny.withHead(tmp.resolve("m"), 1, "classifier", 1, new JsonObject());
        Path weights = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            long header = Long.reverseBytes(f.readLong());
            f.seek(8 + header);
            f.write(new byte[(int) (f.length() - 8 - header)]);
            f.seek(f.length() - 4);
            f.write(new byte[] {0, 0, (byte) 0xc0, 0x7f}); // a NaN, which reading the weights refuses
        }
        assertEquals("regression", ModelInfo.task(dir.toString()));
        UserError e = assertThrows(UserError.class, () -> TrainedModel.load(dir, InferenceRuntime.TORCH));
        assertEquals(true, e.getMessage().contains("holds NaN"), e.getMessage());
    }

    private interface Call {
        String get() throws Exception;
    }

    /** The task, or "embed" where loading refuses a model for having no task head. */
    private static String answer(Call call) {
        try {
            return call.get();
        } catch (UserError e) {
            if (e.getMessage().contains("has no sequence-classification, token-classification or question-answering")
                    || e.getMessage().contains("is a base-model export")) {
                return "embed";
            }
            return "refused: " + e.getMessage();
        } catch (Exception e) {
            return "failed: " + e;
        }
    }

    private static JsonObject config(String architecture, String problemType, String task) {
        JsonObject o = new JsonObject();
        if (architecture != null) {
            JsonArray a = new JsonArray();
            a.add(architecture);
            o.add("architectures", a);
        }
        if (problemType != null) {
            o.addProperty("problem_type", problemType);
        }
        if (task != null) {
            JsonObject t = new JsonObject();
            t.addProperty("task", task);
            t.addProperty("max_length", 32);
            o.add("bert_ft_task", t);
        }
        return o;
    }

    private static Path rewrite(Path dir, JsonObject extra) throws IOException {
        JsonObject c = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        extra.entrySet().forEach(e -> c.add(e.getKey(), e.getValue()));
        Files.writeString(dir.resolve("config.json"), c.toString());
        return dir;
    }

    /** An adapter as Python's PEFT saves it: adapter_config.json and the weights only. */
    private static Path pythonAdapter(Path dir) throws IOException {
        for (String f : List.of("config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                "special_tokens_map.json")) {
            Files.deleteIfExists(dir.resolve(f));
        }
        return dir;
    }

    private static Path export(Path model, Path out) {
        CliTest.Run r = CliTest.run("export", model.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }
}
