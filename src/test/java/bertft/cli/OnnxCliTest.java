package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                tmp.resolve("eval-torch").toString());
        CliTest.Run eo = CliTest.run("evaluate", "--model", export.toString(), "--data", data.toString(), "--out",
                tmp.resolve("eval-onnx").toString());
        assertEquals(0, eo.code(), eo.err());
        assertEquals(et.out().lines().filter(l -> !l.startsWith("report:")).toList(),
                eo.out().lines().filter(l -> !l.startsWith("report:")).toList());
    }

    @Test
    void runtimeOnnxExportsOnceAndReusesTheExport(@TempDir Path tmp) throws IOException {
        Path model = copy("roberta", "seqcls", tmp);
        String[] args = {"classify", "--model", model.toString(), "--runtime", "onnx", "--text", "w5 w17 w42",
            "--text", "w64"};
        CliTest.Run first = CliTest.run(args);
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("exporting"), first.err());
        assertTrue(Files.exists(model.resolve("onnx").resolve("model.onnx")));
        CliTest.Run second = CliTest.run(args);
        assertEquals(0, second.code(), second.err());
        assertFalse(second.err().contains("exporting"), "up to date: reused\n" + second.err());
        assertEquals(first.out(), second.out());
        CliTest.Run torch = CliTest.run("classify", "--model", model.toString(), "--text", "w5 w17 w42", "--text", "w64");
        assertClose(torch.out(), first.out(), 1e-4);

        Files.setLastModifiedTime(model.resolve("config.json"), java.nio.file.attribute.FileTime.fromMillis(0));
        CliTest.Run changed = CliTest.run(args);
        assertTrue(changed.err().contains("exporting"), "the model changed: exported again\n" + changed.err());

        CliTest.Run int8 = CliTest.run("classify", "--model", model.toString(), "--runtime", "onnx-int8", "--text",
                "w5 w17 w42", "--text", "w64");
        assertEquals(0, int8.code(), int8.err());
        assertTrue(Files.exists(model.resolve("onnx-int8").resolve("model.onnx")));
        assertTrue(Files.size(model.resolve("onnx-int8").resolve("model.onnx"))
                < Files.size(model.resolve("onnx").resolve("model.onnx")));
    }

    @Test
    void qaAndEmbedOnExportsAsOnLibtorch(@TempDir Path tmp) throws IOException {
        Path qa = copy("distilbert", "qa", tmp);
        String[] ask = {"--context", "w5 w17 w42 w8 w91 w33 w64 w12 w7", "--question", "w17 w8", "--top-k", "3", "--json"};
        CliTest.Run torch = CliTest.run(concat(new String[] {"qa", "--model", qa.toString()}, ask));
        CliTest.Run onnx = CliTest.run(concat(new String[] {"qa", "--model", qa.toString(), "--runtime", "onnx"}, ask));
        assertEquals(0, onnx.code(), onnx.err());
        assertClose(torch.out(), onnx.out(), 1e-4);

        Path base = copy("electra", "base", tmp);
        CliTest.Run e = CliTest.run("export", base.toString(), "--out", tmp.resolve("base.onnx").toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(Files.exists(tmp.resolve("config.json")) && Files.exists(tmp.resolve("tokenizer.json")),
                "config and tokenizer beside the .onnx");
        CliTest.Run et = CliTest.run("embed", "--model", base.toString(), "--text", "w5 w17 w42", "--text", "w9");
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
}
