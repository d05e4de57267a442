package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.infer.InferenceRuntime;
import bertft.onnx.proto.OnnxProto;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bert-ft export} and the commands on its output: classify, qa, embed and evaluate give on ONNX Runtime what
 * they give on libtorch; {@code --runtime onnx} exports a run on the fly and reuses it; bad input is one line, exit 2.
 */
class OnnxCliTest {
    static final Path GOLDEN = Paths.get("..", "shared", "golden", "families");

    /** A writable copy of a golden checkpoint (../shared is read-only). */
    static Path copy(String family, String kind, Path tmp) throws IOException {
        Path to = Files.createDirectories(tmp.resolve(family + "-" + kind));
        try (Stream<Path> files = Files.list(GOLDEN.resolve(family).resolve(kind))) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    static double[] numbers(String out) {
        return java.util.regex.Pattern.compile("-?\\d+\\.\\d+(?:[eE]-?\\d+)?").matcher(out).results()
                .mapToDouble(m -> Double.parseDouble(m.group())).toArray();
    }

    static void assertClose(String torch, String onnx, double tolerance) {
        double[] a = numbers(torch);
        double[] b = numbers(onnx);
        assertEquals(a.length, b.length, torch + "\nvs\n" + onnx);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], tolerance, torch + "\nvs\n" + onnx);
        }
        assertEquals(torch.replaceAll("-?\\d+\\.\\d+(?:[eE]-?\\d+)?", "#"), onnx.replaceAll("-?\\d+\\.\\d+(?:[eE]-?\\d+)?",
                "#"), "same labels and layout");
    }

    @Test
    void classifyAndEvaluateAnExportAsOnLibtorch(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        Path export = tmp.resolve("export");
        CliTest.Run e = CliTest.run("export", model.toString(), "--format", "onnx", "--out", export.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("model.onnx"), e.out());
        for (String f : List.of("model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.exists(export.resolve(f)), f);
        }
        JsonObject config = JsonParser.parseString(Files.readString(export.resolve("config.json"))).getAsJsonObject();
        assertEquals("classification", config.getAsJsonObject("bert_ft_task").get("task").getAsString().toLowerCase());
        assertEquals("neu", config.getAsJsonObject("id2label").get("1").getAsString());
        assertEquals("[\"input_ids\",\"attention_mask\",\"token_type_ids\"]",
                config.getAsJsonObject("bert_ft_onnx").getAsJsonArray("inputs").toString());

        Path data = Files.write(tmp.resolve("data.csv"), List.of("text,label", "w5 w17 w42 w8 w91 w33,neg",
                "w64 w12 w7,pos", "w10 w11,neu", "w30 w31 w32 w33 w34 w35 w36 w37 w38,pos"));
        CliTest.Run torch = CliTest.run("classify", data.toString(), "--model", model.toString(), "--runtime", "torch");
        CliTest.Run onnx = CliTest.run("classify", data.toString(), "--model", export.toString());
        CliTest.Run file = CliTest.run("classify", data.toString(), "--model", export.resolve("model.onnx").toString());
        assertEquals(0, torch.code(), torch.err());
        assertEquals(0, onnx.code(), onnx.err());
        assertEquals(0, file.code(), file.err());
        assertClose(torch.out(), onnx.out(), 1e-4);
        assertEquals(onnx.out(), file.out());

        CliTest.Run et = CliTest.run("evaluate", "--model", model.toString(), "--data", data.toString(), "--out",
                tmp.resolve("eval-torch").toString(), "--runtime", "torch");
        CliTest.Run eo = CliTest.run("evaluate", "--model", export.toString(), "--data", data.toString(), "--out",
                tmp.resolve("eval-onnx").toString());
        assertEquals(0, eo.code(), eo.err());
        assertEquals(et.out().lines().filter(l -> !l.startsWith("report:")).toList(),
                eo.out().lines().filter(l -> !l.startsWith("report:")).toList());
    }

    /**
     * Issue 39: --runtime onnx exports a run once into $BERT_FT_HOME/onnx (never into the run: an old MODEL/onnx is
     * ignored), says how long it took, reuses it, and exports again when the model changes.
     */
    @Test
    void runtimeOnnxExportsOnceIntoTheCacheAndReusesIt(@TempDir Path tmp) throws IOException {
        Path model = copy("roberta", "seqcls", tmp);
        Files.createDirectories(model.resolve("onnx")); // what earlier versions left beside a run: never read
        Files.writeString(model.resolve("onnx").resolve("config.json"), "{}");
        String[] args = {"classify", "--model", model.toString(), "--runtime", "onnx", "--text", "w5 w17 w42",
            "--text", "w64"};
        CliTest.Run first = CliTest.run(args);
        assertEquals(0, first.code(), first.err());
        Path cached = bertft.run.ExportCache.location(model, null, false);
        assertTrue(first.err().matches("(?s)bert-ft: exported " + java.util.regex.Pattern.quote(model.toString())
                + " to ONNX for the onnx runtime in [0-9.]+ s \\(cached in "
                + java.util.regex.Pattern.quote(cached.toString()) + "; --runtime torch skips it\\)\n"), first.err());
        assertTrue(Files.exists(cached.resolve("model.onnx")));
        assertEquals("{}", Files.readString(model.resolve("onnx").resolve("config.json")));
        assertEquals(List.of("config.json"), Files.list(model.resolve("onnx")).map(p -> p.getFileName().toString())
                .toList());
        CliTest.Run second = CliTest.run(args);
        assertEquals(0, second.code(), second.err());
        assertEquals("", second.err(), "up to date: reused");
        assertEquals(first.out(), second.out());
        CliTest.Run torch = CliTest.run("classify", "--model", model.toString(), "--text", "w5 w17 w42", "--text", "w64",
                "--runtime", "torch");
        assertEquals("", torch.err());
        assertClose(torch.out(), first.out(), 1e-4);

        Files.setLastModifiedTime(model.resolve("config.json"), java.nio.file.attribute.FileTime.fromMillis(0));
        CliTest.Run changed = CliTest.run(args);
        assertTrue(changed.err().contains("bert-ft: exported"), "the model changed: exported again\n" + changed.err());
        Path again = bertft.run.ExportCache.location(model, null, false);
        assertFalse(again.equals(cached));

        CliTest.Run int8 = CliTest.run("classify", "--model", model.toString(), "--runtime", "onnx-int8", "--text",
                "w5 w17 w42", "--text", "w64");
        assertEquals(0, int8.code(), int8.err());
        assertTrue(int8.err().contains("to ONNX (int8) for the onnx-int8 runtime"), int8.err());
        Path cachedInt8 = bertft.run.ExportCache.location(model, null, true);
        assertTrue(cachedInt8.getFileName().toString().endsWith("-int8"));
        assertTrue(Files.size(cachedInt8.resolve("model.onnx")) < Files.size(again.resolve("model.onnx")));
    }

    @Test
    void qaAndEmbedOnExportsAsOnLibtorch(@TempDir Path tmp) throws IOException {
        Path qa = copy("distilbert", "qa", tmp);
        String[] ask = {"--context", "w5 w17 w42 w8 w91 w33 w64 w12 w7", "--question", "w17 w8", "--top-k", "3", "--json"};
        CliTest.Run torch = CliTest.run(concat(new String[] {"qa", "--model", qa.toString(), "--runtime", "torch"},
                ask));
        CliTest.Run onnx = CliTest.run(concat(new String[] {"qa", "--model", qa.toString(), "--runtime", "onnx"}, ask));
        assertEquals(0, onnx.code(), onnx.err());
        assertClose(torch.out(), onnx.out(), 1e-4);

        Path base = copy("electra", "base", tmp);
        CliTest.Run e = CliTest.run("export", base.toString(), "--out", tmp.resolve("base.onnx").toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(Files.exists(tmp.resolve("config.json")) && Files.exists(tmp.resolve("tokenizer.json")),
                "config and tokenizer beside the .onnx");
        CliTest.Run et = CliTest.run("embed", "--model", base.toString(), "--text", "w5 w17 w42", "--text", "w9",
                "--runtime", "torch");
        CliTest.Run eo = CliTest.run("embed", "--model", tmp.resolve("base.onnx").toString(), "--text", "w5 w17 w42",
                "--text", "w9");
        assertEquals(0, eo.code(), eo.err());
        assertClose(et.out(), eo.out(), 1e-4);
    }

    @Test
    void benchOnOnnxRuntimePrintsTheInferenceLine(@TempDir Path tmp) throws IOException {
        Path base = copy("bert", "base", tmp);
        CliTest.Run r = CliTest.run("bench", "--model", base.toString(), "--runtime", "onnx", "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("engine: ONNX Runtime"), r.out());
        assertTrue(r.out().matches("(?s).*inference 64 x 64: [0-9.]+ sentences/s.*"), r.out());
    }

    static String[] concat(String[] a, String[] b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    /** One line on stderr, exit 2. */
    static void assertUserError(CliTest.Run r, String expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        Path notModel = Files.createDirectories(tmp.resolve("not-a-model"));
        Files.writeString(notModel.resolve("notes.txt"), "hello");
        assertUserError(CliTest.run("export", notModel.toString()), "config.json");
        assertUserError(CliTest.run("export", model.toString(), "--format", "tflite"), "--format tflite");
        assertUserError(CliTest.run("export", model.toString(), "--quantize", "int4"), "--quantize int4");
        assertUserError(CliTest.run("export", model.toString(), "--opset", "18"), "--opset 18");
        assertUserError(CliTest.run("export", model.toString(), "--out", notModel.toString()), "not an ONNX export");
        assertEquals(List.of(notModel.resolve("notes.txt")), Files.list(notModel).toList(), "nothing written");
        assertUserError(CliTest.run("classify", "--model", model.toString(), "--runtime", "tensorrt", "--text", "w5"),
                "--runtime tensorrt");

        Path export = tmp.resolve("export");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", export.toString()).code());
        // quantising what is already an export: export from the checkpoint instead
        assertUserError(CliTest.run("export", export.toString(), "--quantize", "int8", "--out",
                tmp.resolve("q").toString()), "already an ONNX export");
        assertUserError(CliTest.run("classify", "--model", export.toString(), "--runtime", "torch", "--text", "w5"),
                "is an ONNX export");

        // an .onnx that takes other inputs, beside a good config.json
        Path bogus = Files.createDirectories(tmp.resolve("bogus"));
        Files.copy(export.resolve("config.json"), bogus.resolve("config.json"));
        Files.copy(export.resolve("tokenizer.json"), bogus.resolve("tokenizer.json"));
        Files.write(bogus.resolve("model.onnx"), identityModel("x"));
        assertUserError(CliTest.run("classify", "--model", bogus.resolve("model.onnx").toString(), "--text", "w5"),
                "input 'x'");
        Files.write(bogus.resolve("model.onnx"), new byte[] {1, 2, 3});
        assertUserError(CliTest.run("classify", "--model", bogus.toString(), "--text", "w5"), "ONNX Runtime cannot load");

        // a base-model export has no head to classify with
        Path base = tmp.resolve("base");
        assertEquals(0, CliTest.run("export", copy("bert", "base", tmp).toString(), "--out", base.toString()).code());
        assertUserError(CliTest.run("classify", "--model", base.toString(), "--text", "w5"), "base-model export");
    }

    /** A graph with one float input {@code name} that it hands back as {@code logits}. */
    static byte[] identityModel(String name) {
        OnnxProto.TypeProto type = OnnxProto.TypeProto.newBuilder().setTensorType(OnnxProto.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxProto.TensorProto.DataType.FLOAT_VALUE)).build();
        OnnxProto.GraphProto g = OnnxProto.GraphProto.newBuilder().setName("identity")
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName(name).setType(type))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("logits").setType(type))
                .addNode(OnnxProto.NodeProto.newBuilder().setOpType("Identity").addInput(name).addOutput("logits"))
                .build();
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OnnxProto.OperatorSetIdProto
                .newBuilder().setVersion(14)).setGraph(g).build().toByteArray();
    }

    /** Every file and directory under {@code dir}, relative, with each file's bytes' hash: what a command left. */
    static java.util.Map<String, String> tree(Path dir) throws IOException {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                out.put(dir.relativize(p).toString(), Files.isRegularFile(p) ? bertft.Sha256.of(p) : "dir");
            }
        }
        return out;
    }

    /**
     * Issue 32: an export writes only its own files. Re-exporting into a directory that holds an earlier export
     * keeps what else is there (the deploy scripts beside it, Triton's config.pbtxt, a version directory); a
     * directory that is not an export, the root, the current directory, an empty --out and the model's own directory
     * are refused with one line and nothing changed.
     */
    @Test
    void exportReplacesOnlyItsOwnFiles(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        Path deploy = tmp.resolve("deploy");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", deploy.resolve("model.onnx").toString()).code());
        Files.writeString(deploy.resolve("run.sh"), "#!/bin/sh\n");
        Files.createDirectories(deploy.resolve("k8s"));
        Files.writeString(deploy.resolve("k8s/svc.yaml"), "kind: Service\n");
        CliTest.Run again = CliTest.run("export", model.toString(), "--out", deploy.toString());
        assertEquals(0, again.code(), again.err());
        assertEquals("#!/bin/sh\n", Files.readString(deploy.resolve("run.sh")));
        assertEquals("kind: Service\n", Files.readString(deploy.resolve("k8s/svc.yaml")));
        assertTrue(Files.exists(deploy.resolve("model.onnx")) && Files.exists(deploy.resolve("config.json")));

        Path triton = tmp.resolve("triton");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", triton.toString()).code());
        Files.writeString(triton.resolve("config.pbtxt"), "platform: \"onnxruntime_onnx\"\n");
        Files.createDirectories(triton.resolve("1"));
        Files.writeString(triton.resolve("1/notes.txt"), "v1");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", triton.toString(), "--quantize", "int8")
                .code());
        assertEquals("v1", Files.readString(triton.resolve("1/notes.txt")));
        assertTrue(Files.exists(triton.resolve("config.pbtxt")));
        assertTrue(Files.readString(triton.resolve("config.json")).contains("\"int8\""), "the export itself replaced");

        java.util.Map<String, String> before = tree(tmp);
        String cwd = Path.of("").toAbsolutePath().toString();
        assertUserError(CliTest.run("export", model.toString(), "--out", ""), "--out: empty value");
        assertUserError(CliTest.run("export", model.toString(), "--out", "/"), "--out /: is the root directory");
        assertUserError(CliTest.run("export", model.toString(), "--out", "."), "is the current directory");
        assertUserError(CliTest.run("export", model.toString(), "--out", cwd), "is the current directory");
        assertUserError(CliTest.run("export", model.toString(), "--out", model.toString()), "model's own directory");
        assertUserError(CliTest.run("export", model.toString(), "--out", model.resolve("m.onnx").toString(),
                "--overwrite"), "is in the model's own directory");
        Path scripts = Files.createDirectories(tmp.resolve("scripts"));
        Files.writeString(scripts.resolve("run.sh"), "#!/bin/sh\n");
        before = tree(tmp);
        assertUserError(CliTest.run("export", model.toString(), "--out", scripts.toString()),
                "not an ONNX export (holds run.sh)");
        assertEquals(before, tree(tmp), "nothing written or removed");
        CliTest.Run asked = CliTest.run("export", model.toString(), "--out", scripts.toString(), "--overwrite");
        assertEquals(0, asked.code(), asked.err());
        assertEquals("#!/bin/sh\n", Files.readString(scripts.resolve("run.sh")), "--overwrite touches no other file");
        assertTrue(Files.exists(scripts.resolve("model.onnx")));
    }

    /**
     * Issue 32: an existing .onnx that no bert-ft export wrote is replaced only with --overwrite; a second .onnx
     * exported into a directory that holds another export is refused (config.json and the tokenizer describe one
     * model), and a .onnx whose config.json describes another file is refused at load, so a model never runs with
     * another's labels.
     */
    @Test
    void anExportNeverTakesAnotherModelsFiles(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.write(other.resolve("x.onnx"), identityModel("x"));
        byte[] theirs = Files.readAllBytes(other.resolve("x.onnx"));
        assertUserError(CliTest.run("export", model.toString(), "--out", other.resolve("x.onnx").toString()),
                "x.onnx exists and is not from a bert-ft export");
        assertArrayEquals(theirs, Files.readAllBytes(other.resolve("x.onnx")));
        assertEquals(List.of(other.resolve("x.onnx")), Files.list(other).toList(), "nothing written beside it");
        CliTest.Run forced = CliTest.run("export", model.toString(), "--out", other.resolve("x.onnx").toString(),
                "--overwrite");
        assertEquals(0, forced.code(), forced.err());
        assertEquals(0, CliTest.run("classify", "--model", other.resolve("x.onnx").toString(), "--text", "w5").code());

        Path d = tmp.resolve("d");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", d.resolve("a.onnx").toString()).code());
        java.util.Map<String, String> before = tree(d);
        Path model2 = Tiny.classifier(tmp.resolve("m2"), 5, "x", "y");
        assertUserError(CliTest.run("export", model2.toString(), "--out", d.resolve("c.onnx").toString()),
                "holds the export a.onnx");
        assertUserError(CliTest.run("export", model2.toString(), "--out", d.toString()), "holds the export a.onnx");
        assertEquals(before, tree(d), "nothing written");
        CliTest.Run a = CliTest.run("classify", "--model", d.resolve("a.onnx").toString(), "--text", "w5");
        assertEquals(0, a.code(), a.err());

        // asked for: c.onnx takes the directory's config and tokenizer, and a.onnx no longer loads with them
        assertEquals(0, CliTest.run("export", model2.toString(), "--out", d.resolve("c.onnx").toString(),
                "--overwrite").code());
        assertUserError(CliTest.run("classify", "--model", d.resolve("a.onnx").toString(), "--text", "w5"),
                "the config.json beside it describes c.onnx");
        CliTest.Run c = CliTest.run("classify", "--model", d.resolve("c.onnx").toString(), "--text", "w5");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("x") || c.out().contains("y"), c.out());
    }

    /**
     * Issue 32: an export whose tokenizer has ids past the embedding table is refused at load as on libtorch; a
     * failure inside ONNX Runtime (here a vocab_size edited to pass that check) is one line without ONNX Runtime's
     * node names, paths or class names; an empty or garbage model.onnx is one line naming the file.
     */
    @Test
    void brokenExportsAreOneLine(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        Path export = tmp.resolve("export");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", export.toString()).code());
        JsonObject tok = JsonParser.parseString(Files.readString(export.resolve("tokenizer.json"))).getAsJsonObject();
        int vocab = JsonParser.parseString(Files.readString(export.resolve("config.json"))).getAsJsonObject()
                .get("vocab_size").getAsInt();
        tok.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("w5", vocab + 4900);
        Files.writeString(export.resolve("tokenizer.json"), tok.toString());
        assertUserError(CliTest.run("classify", "--model", export.toString(), "--text", "w5"),
                "the tokenizer has token id " + (vocab + 4900));
        assertUserError(CliTest.run("embed", "--model", export.toString(), "--text", "w5"),
                "the tokenizer has token id " + (vocab + 4900));
        bertft.UserError api = assertThrows(bertft.UserError.class, () -> bertft.api.Classifier.load(export.toString()));
        assertTrue(api.getMessage().contains("the tokenizer has token id"), api.getMessage());

        JsonObject config = JsonParser.parseString(Files.readString(export.resolve("config.json"))).getAsJsonObject();
        config.addProperty("vocab_size", vocab + 5000);
        Files.writeString(export.resolve("config.json"), config.toString());
        for (String command : List.of("classify", "embed")) {
            CliTest.Run r = CliTest.run(command, "--model", export.toString(), "--text", "w5");
            assertUserError(r, "model.onnx: ONNX Runtime failed on this input: indices element out of data bounds");
            for (String leak : List.of("Gather", "Name:", "Exception", "onnxruntime::", ".cc:", tmp.toString())) {
                assertFalse(r.err().contains(leak), leak + " in " + r.err());
            }
        }
        try (bertft.api.Classifier c = bertft.api.Classifier.load(export.toString())) {
            // its own type, so that a server can answer 500 (the model failed) rather than blame the request
            bertft.onnx.OnnxModelError e = assertThrows(bertft.onnx.OnnxModelError.class, () -> c.predict("w5"));
            assertFalse(e.getMessage().contains(tmp.toString()), e.getMessage());
        }

        Files.write(export.resolve("model.onnx"), new byte[0]);
        assertUserError(CliTest.run("classify", "--model", export.toString(), "--text", "w5"),
                export.resolve("model.onnx") + ": is empty, not an ONNX model");
        Files.write(export.resolve("model.onnx"), "not a model".getBytes());
        CliTest.Run garbage = CliTest.run("classify", "--model", export.toString(), "--text", "w5");
        assertUserError(garbage, export.resolve("model.onnx") + ": ONNX Runtime cannot load it: Protobuf parsing failed");
        assertFalse(garbage.err().contains("Load model from"), garbage.err());
        // a ModelProto without a graph: ONNX Runtime's message starts with its C++ source line and signature
        Files.write(export.resolve("model.onnx"), OnnxProto.ModelProto.newBuilder().setIrVersion(8).build()
                .toByteArray());
        CliTest.Run noGraph = CliTest.run("classify", "--model", export.toString(), "--text", "w5");
        assertUserError(noGraph, export.resolve("model.onnx") + ": ONNX Runtime cannot load it: ModelProto does not"
                + " have a graph; export the model again");
        assertFalse(noGraph.err().contains("onnxruntime::") || noGraph.err().contains(".cc:"), noGraph.err());
    }

    /** Issue 32: --runtime names the precision it runs; an export of the other precision is refused, not run. */
    @Test
    void runtimeMustMatchTheExportsPrecision(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        Path fp32 = tmp.resolve("fp32");
        Path int8 = tmp.resolve("int8");
        assertEquals(0, CliTest.run("export", model.toString(), "--out", fp32.toString()).code());
        assertEquals(0, CliTest.run("export", model.toString(), "--out", int8.toString(), "--quantize", "int8").code());
        assertUserError(CliTest.run("classify", "--model", fp32.toString(), "--runtime", "onnx-int8", "--text", "w5"),
                fp32 + ": is an fp32 ONNX export; pass --runtime onnx");
        assertUserError(CliTest.run("embed", "--model", fp32.resolve("model.onnx").toString(), "--runtime", "onnx-int8",
                "--text", "w5"), "is an fp32 ONNX export");
        assertUserError(CliTest.run("classify", "--model", int8.toString(), "--runtime", "onnx", "--text", "w5"),
                int8 + ": is an int8 ONNX export; pass --runtime onnx-int8");
        for (String[] ok : new String[][] {{fp32.toString(), "onnx"}, {int8.toString(), "onnx-int8"}}) {
            CliTest.Run r = CliTest.run("classify", "--model", ok[0], "--runtime", ok[1], "--text", "w5");
            assertEquals(0, r.code(), r.err());
        }
    }

    /**
     * Issue 32: a task model embeds on ONNX Runtime as on libtorch (its export carries sentence_embedding), through
     * --runtime onnx and through its export; an export without those outputs says it cannot embed.
     */
    @Test
    void taskModelsEmbedOnOnnxRuntime(@TempDir Path tmp) throws IOException {
        Path model = copy("bert", "seqcls", tmp);
        String[] texts = {"--text", "w5 w17 w42", "--text", "w9"};
        CliTest.Run torch = CliTest.run(concat(new String[] {"embed", "--model", model.toString(), "--runtime",
            "torch"}, texts));
        CliTest.Run onnx = CliTest.run(concat(new String[] {"embed", "--model", model.toString(), "--runtime", "onnx"},
                texts));
        assertEquals(0, onnx.code(), onnx.err());
        assertClose(torch.out(), onnx.out(), 1e-5);
        Path cached = bertft.run.ExportCache.location(model, null, false);
        CliTest.Run export = CliTest.run(concat(new String[] {"embed", "--model", cached.toString()}, texts));
        assertEquals(onnx.out(), export.out());
        // the library's Embedder, which serve's /embed runs, on the same export
        bertft.api.ModelOptions options = bertft.api.ModelOptions.defaults();
        try (bertft.api.Embedder o = bertft.api.Embedder.load(model.toString(), options.withRuntime(
                bertft.infer.InferenceRuntime.ONNX));
                bertft.api.Embedder t = bertft.api.Embedder.load(model.toString(), options.withRuntime(
                        bertft.infer.InferenceRuntime.TORCH))) {
            float[] a = o.embed("w5 w17 w42");
            float[] b = t.embed("w5 w17 w42");
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-5);
            }
        }

        Path old = Files.createDirectories(tmp.resolve("old"));
        for (String f : List.of("config.json", "tokenizer.json")) {
            Files.copy(cached.resolve(f), old.resolve(f));
        }
        Files.write(old.resolve("model.onnx"), logitsOnlyModel());
        assertUserError(CliTest.run("embed", "--model", old.toString(), "--text", "w5"),
                "model.onnx: this ONNX export cannot embed");
    }

    /** A graph that takes bert-ft's inputs and has only a {@code logits} output, as task exports had before. */
    static byte[] logitsOnlyModel() {
        OnnxProto.TypeProto ids = OnnxProto.TypeProto.newBuilder().setTensorType(OnnxProto.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxProto.TensorProto.DataType.INT64_VALUE)).build();
        OnnxProto.GraphProto g = OnnxProto.GraphProto.newBuilder().setName("logits-only")
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName("input_ids").setType(ids))
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName("attention_mask").setType(ids))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("logits").setType(ids))
                .addNode(OnnxProto.NodeProto.newBuilder().setOpType("Add").addInput("input_ids")
                        .addInput("attention_mask").addOutput("logits"))
                .build();
        return OnnxProto.ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OnnxProto.OperatorSetIdProto
                .newBuilder().setVersion(14)).setGraph(g).build().toByteArray();
    }
}
