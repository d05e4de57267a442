package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import bertft.Tiny;
import bertft.checkpoint.SafeTensors;
import bertft.checkpoint.TensorData;
import bertft.cli.CliTest.Run;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * Hostile and mistaken input through the command line: each case ends with one line that names the option, file
 * or value, exit code 2, and never a hang, a stack trace or a library's exception text.
 */
class BadInputTest {

    /** Asserts exit 2 and a single {@code bert-ft: ...} line that starts with {@code prefix}. */
    static void oneLine(Run r, String prefix) {
        assertEquals(2, r.code(), r.err() + r.out());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("bert-ft: " + prefix), err);
        assertFalse(err.contains("Exception") || err.contains("java.") || err.contains("gson"), err);
    }

    @Test
    void everyIntegerOptionOfEveryCommandIsCheckedWhenParsed() {
        List<String> checked = new ArrayList<>();
        CommandLine root = BertFt.commandLine();
        root.getSubcommands().forEach((name, sub) -> {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                Class<?> t = o.isMultiValue() ? o.auxiliaryTypes()[0] : o.type();
                if (t != int.class && t != Integer.class) {
                    continue;
                }
                // 0 is a value for these: any free port, no wait, windows that do not overlap
                boolean zero = List.of("serve --port", "serve --max-wait-ms", "tag --stride")
                        .contains(name + " " + o.longestName());
                for (String bad : zero ? List.of("-5", "abc", "99999999999") : List.of("0", "-5", "abc", "99999999999")) {
                    // the bad value is caught while parsing: no model, file or required option is looked at
                    oneLine(CliTest.run(name, o.longestName(), bad), o.longestName() + " " + bad + ": ");
                }
                checked.add(name + " " + o.longestName());
            }
        });
        assertTrue(checked.containsAll(List.of("classify --batch-size", "embed --batch-size", "embed --max-length",
                "bench --batch-size", "bench --max-length", "bench --repeats", "qa --top-k", "serve --port",
                "serve --max-batch-size", "serve --max-inputs")), checked.toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void batchSizeZeroNeitherHangsNorFailsInside(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        Path in = tmp.resolve("in.csv");
        Files.write(in, List.of("text", "good", "bad"));
        oneLine(CliTest.run("classify", in.toString(), "--model", model.toString(), "--batch-size", "0"),
                "--batch-size 0: must be at least 1");
        oneLine(CliTest.run("classify", in.toString(), "--model", model.toString(), "--batch-size", "-5"),
                "--batch-size -5: must be at least 1");
        oneLine(CliTest.run("bench", "--model", model.toString(), "--data", in.toString(), "--batch-size", "0"),
                "--batch-size 0: must be at least 1");
    }

    @Test
    void benchShapesAndRepeatsAreCheckedBeforeTheModelLoads(@TempDir Path tmp) {
        String model = tmp.resolve("absent").toString();
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "0x0"), "--shapes 0x0: batch: must be at least 1");
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "8x1"), "--shapes 8x1: length: must be at least 2");
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "32x64,-1x8"), "--shapes -1x8: batch:");
        oneLine(CliTest.run("bench", "--model", model, "--shapes", "banana"), "--shapes banana: expected BATCHxLENGTH");
        oneLine(CliTest.run("bench", "--model", model, "--repeats", "0"), "--repeats 0: must be at least 1");
        oneLine(CliTest.run("bench", "--model", model, "--strategy", "full,top-0"),
                "--strategy top-0: expected frozen, top-K (K >= 1), full, lora, ia3 or bitfit, not 'top-0'");
        // a runtime is checked when the command line is parsed, before the model is looked for
        for (String command : new String[] {"classify", "qa", "embed", "tag", "serve"}) {
            oneLine(CliTest.run(command, "--model", model, "--runtime", "fast"),
                    "--runtime fast: expected auto, torch, onnx or onnx-int8");
        }
    }

    @Test
    void lengthsBeyondTheModelsPositionsAreRejectedWithTheRange(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1); // 64 positions
        oneLine(CliTest.run("bench", "--model", model.toString(), "--shapes", "2x65", "--repeats", "1"),
                "--shapes 2x65: " + model + " has 64 positions (max_position_embeddings); use 2 to 64 tokens");
        // RoBERTa's positions start after pad_token_id 1: a 64-position model takes 62 tokens (a 64-token QA window
        // once failed in the middle of training, "sequence of 64 tokens is longer than ... allows (62)")
        Path roberta = Path.of("../shared/golden/families/roberta/base").toAbsolutePath().normalize();
        oneLine(CliTest.run("bench", "--model", roberta.toString(), "--shapes", "2x64", "--repeats", "1"),
                "--shapes 2x64: " + roberta + " has 64 positions (max_position_embeddings, 62 tokens: positions start"
                        + " after pad_token_id 1); use 2 to 62 tokens");
        oneLine(CliTest.run("embed", "--model", model.toString(), "--max-length", "100000", "--text", "a"),
                "--max-length 100000: " + model + " has 64 positions");
    }

    @Test
    void unknownOptionsAndMissingOnesAreOneLine() {
        Run typo = CliTest.run("classify", "--text", "a", "--model", "m", "--batch-sise", "3");
        oneLine(typo, "Unknown options: '--batch-sise'");
        assertTrue(typo.err().contains("did you mean --batch-size?"), typo.err());
        oneLine(CliTest.run("evaluate", "--model", "m"), "Missing required option: '--data=FILE'");
    }

    @Test
    void aTaskNameIsANameNotAPath(@TempDir Path tmp) throws Exception {
        Path task = tmp.resolve("t.yaml");
        Files.writeString(task, "task: classification\nname: ../escaped\ntrain: train.csv\n");
        oneLine(CliTest.run("train", task.toString()), task + ":2: name: '../escaped' is not a name");
        for (String bad : List.of("a/b", "..", "a\\b", "x\ty")) {
            oneLine(CliTest.run("train", task.toString(), "--name", bad), "--name: '");
        }
        oneLine(CliTest.run("compare", task.toString(), "--name", "/tmp/x"), "--name: '/tmp/x' is not a name");
        assertFalse(Files.exists(tmp.resolve("escaped")) || Files.exists(Path.of("escaped")));
    }

    /** Runs with {@code in} as standard input. */
    static Run withStdin(InputStream in, String... args) {
        InputStream before = System.in;
        System.setIn(in);
        try {
            return CliTest.run(args);
        } finally {
            System.setIn(before);
        }
    }

    /** Endless bytes of one value and no line break, as /dev/zero gives. */
    static InputStream endless(int b) {
        return new InputStream() {
            @Override
            public int read() {
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) {
                java.util.Arrays.fill(buf, off, off + len, (byte) b);
                return len;
            }
        };
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hugeInputsAreBoundedNotReadIntoMemory(@TempDir Path tmp) throws Exception {
        Path qa = Tiny.qa(tmp.resolve("qa"), 1);
        Path big = tmp.resolve("big.txt");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength((10L << 20) + 1); // sparse: one byte over the limit
        }
        oneLine(CliTest.run("qa", "--model", qa.toString(), "--context-file", big.toString(), "--question", "q?"),
                big + ": larger than 10 MiB, the limit for a QA context (split it)");
        if (Files.exists(Path.of("/dev/zero"))) {
            oneLine(CliTest.run("qa", "--model", qa.toString(), "--context-file", "/dev/zero", "--question", "q?"),
                    "/dev/zero: larger than 10 MiB");
            oneLine(CliTest.run("train", "/dev/zero"), "/dev/zero: larger than 1 MiB, the limit for a task file");
        }
        // questions on standard input: one endless line
        oneLine(withStdin(endless('a'), "qa", "--model", qa.toString(), "--context", "some text"),
                "stdin:1: more than 16777216 characters without a line break");
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        oneLine(withStdin(endless(0), "classify", "-", "--format", "jsonl", "--model", clf.toString()),
                "stdin:1: more than 16777216 characters without a line break");
        oneLine(withStdin(endless(0), "classify", "-", "--format", "csv", "--model", clf.toString()),
                "stdin:1: more than 16777216 characters without a line break");
        oneLine(withStdin(endless('x'), "embed", "-", "--model", clf.toString()),
                "stdin:1: more than 16777216 characters without a line break");
    }

    @Test
    void blankQuestionsAndTextsAreRejectedLikeEmptyCells(@TempDir Path tmp) {
        Path qa = Tiny.qa(tmp.resolve("qa"), 1);
        for (String blank : List.of("", "   ", "\t")) {
            oneLine(CliTest.run("qa", "--model", qa.toString(), "--context", "some text", "--question", blank),
                    "--question: question 1 is empty");
        }
        oneLine(CliTest.run("qa", "--model", qa.toString(), "--context", "t", "--question", "ok?", "--question", " "),
                "--question: question 2 is empty");
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        oneLine(CliTest.run("classify", "--model", clf.toString(), "--text", ""), "--text: text 1 is empty");
        oneLine(CliTest.run("classify", "--model", clf.toString(), "--text", "fine", "--text", "  "),
                "--text: text 2 is empty");
        oneLine(CliTest.run("embed", "--model", clf.toString(), "--text", " "), "--text: text 1 is empty");
    }

    @Test
    void brokenModelFilesAreDescribedForUsers(@TempDir Path tmp) throws Exception {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1);
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.substring(0, config.length() / 2));
        Run r = CliTest.run("embed", "--model", model.toString(), "--text", "a");
        oneLine(r, model.resolve("config.json") + ":");
        assertTrue(r.err().contains(": not valid JSON: ") && r.err().strip().endsWith("(is it truncated?)"), r.err());
        assertFalse(r.err().contains("http") || r.err().contains("EOF"), r.err());
        Files.writeString(model.resolve("config.json"), "{\"vocab_size\": 177,}");
        r = CliTest.run("embed", "--model", model.toString(), "--text", "a");
        oneLine(r, model.resolve("config.json") + ":1:");
        assertFalse(r.err().contains("setStrictness") || r.err().contains("http"), r.err());
        Files.writeString(model.resolve("config.json"), config);

        String tokenizer = Files.readString(model.resolve("tokenizer.json"));
        Files.writeString(model.resolve("tokenizer.json"), tokenizer.substring(0, tokenizer.length() - 100));
        r = CliTest.run("embed", "--model", model.toString(), "--text", "a");
        oneLine(r, model.resolve("tokenizer.json") + ":1:");
        assertTrue(r.err().contains("is it truncated?"), r.err());
        Files.writeString(model.resolve("tokenizer.json"), "[1, 2]");
        oneLine(CliTest.run("embed", "--model", model.toString(), "--text", "a"),
                model.resolve("tokenizer.json") + ": expected a JSON object {...}, found a list");
        Files.writeString(model.resolve("tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\"}}");
        oneLine(CliTest.run("embed", "--model", model.toString(), "--text", "a"),
                model.resolve("tokenizer.json") + ": no 'model.vocab' (an object of token ids, or a Unigram list");
    }

    @Test
    void aTokenizerLargerThanTheEmbeddingTableIsRejectedAtLoad(@TempDir Path tmp) throws Exception {
        Path model = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        JsonObject tok = JsonParser.parseString(Files.readString(model.resolve("tokenizer.json"))).getAsJsonObject();
        tok.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("zebra", 500);
        Files.writeString(model.resolve("tokenizer.json"), tok.toString());
        String expected = model + ": the tokenizer has token id 500 ('zebra'), but the model's embedding table has "
                + Tiny.vocab().size() + " rows (vocab_size in config.json)";
        oneLine(CliTest.run("classify", "--model", model.toString(), "--text", "a zebra"), expected);
        oneLine(CliTest.run("embed", "--model", model.toString(), "--text", "a zebra"), expected);
        oneLine(CliTest.run("bench", "--model", model.toString(), "--data", writeCsv(tmp), "--repeats", "1"),
                expected);
    }

    static String writeCsv(Path dir) throws Exception {
        Path f = dir.resolve("texts.csv");
        Files.write(f, List.of("text", "a zebra", "b"));
        return f.toString();
    }

    /** Rewrites one tensor of a checkpoint with every value {@code v} (or only its element {@code at}). */
    static void setWeights(Path model, String name, float v, int at) {
        Path file = model.resolve("model.safetensors");
        Map<String, TensorData> w = new LinkedHashMap<>(SafeTensors.read(file));
        float[] x = w.get(name).toFloats();
        if (at < 0) {
            java.util.Arrays.fill(x, v);
        } else {
            x[at] = v;
        }
        w.put(name, TensorData.of(w.get(name).shape(), x));
        SafeTensors.write(file, w);
    }

    @Test
    void nonFiniteWeightsAreRefusedAtLoadNamingTheTensor(@TempDir Path tmp) throws Exception {
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        setWeights(clf, "bert.encoder.layer.1.output.dense.weight", Float.NaN, 77);
        String expected = clf + ": weight bert.encoder.layer.1.output.dense.weight holds NaN or infinite values";
        Path data = tmp.resolve("d.csv");
        Files.write(data, List.of("text,label", "good,pos", "bad,neg"));
        oneLine(CliTest.run("classify", data.toString(), "--model", clf.toString()), expected);
        oneLine(CliTest.run("embed", "--model", clf.toString(), "--text", "a"), expected);
        oneLine(CliTest.run("evaluate", "--model", clf.toString(), "--data", data.toString(), "--out",
                tmp.resolve("eval").toString()), expected);
        assertFalse(Files.exists(tmp.resolve("eval")), "nothing written");

        Path qa = Tiny.qa(tmp.resolve("qa"), 1);
        setWeights(qa, "qa_outputs.bias", Float.NEGATIVE_INFINITY, 1);
        oneLine(CliTest.run("qa", "--model", qa.toString(), "--context", "text", "--question", "q?"),
                qa + ": weight qa_outputs.bias holds NaN or infinite values");

        // as in the report: one 4 KB block of the file overwritten with 0xff bytes (NaN) somewhere in the weights
        Path hit = Tiny.classifier(tmp.resolve("hit"), 1, "neg", "pos");
        byte[] bytes = Files.readAllBytes(hit.resolve("model.safetensors"));
        java.util.Arrays.fill(bytes, bytes.length / 2, bytes.length / 2 + 4096, (byte) 0xff);
        Files.write(hit.resolve("model.safetensors"), bytes);
        Run r = CliTest.run("classify", "--model", hit.toString(), "--text", "good");
        oneLine(r, hit + ": weight ");
        assertTrue(r.err().contains("holds NaN or infinite values"), r.err());
    }

    @Test
    void outputsThatOverflowAreAnErrorNotNaNInTheOutput(@TempDir Path tmp) throws Exception {
        // finite weights, but so large that the scores overflow
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        setWeights(clf, "classifier.weight", 3e38f, -1);
        setWeights(clf, "bert.pooler.dense.bias", 1f, -1);
        Path data = tmp.resolve("d.csv");
        Files.write(data, List.of("text,label", "good,pos", "bad,neg"));
        Run c = CliTest.run("classify", data.toString(), "--model", clf.toString());
        oneLine(c, "the model's scores came out NaN or infinite");
        assertEquals("", c.out().replaceFirst("(?s)^text,label,predicted.*?\n", ""), "no row of NaN: " + c.out());
        oneLine(CliTest.run("evaluate", "--model", clf.toString(), "--data", data.toString(), "--out",
                tmp.resolve("eval").toString()), "the model's scores came out NaN or infinite");
        Path emb = Tiny.checkpoint(tmp.resolve("emb"), 1);
        setWeights(emb, "embeddings.word_embeddings.weight", 3e38f, -1);
        Run e = CliTest.run("embed", "--model", emb.toString(), "--text", "a");
        oneLine(e, "the embeddings came out NaN or infinite");
        assertEquals("", e.out());
    }

    @Test
    void predictionColumnsNeverClashWithTheInputs(@TempDir Path tmp) throws Exception {
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        Path in = tmp.resolve("in.csv");
        Files.write(in, List.of("text,score", "good phone,5", "bad phone,1"));
        Path once = tmp.resolve("once.csv");
        Run r = CliTest.run("classify", in.toString(), "--model", clf.toString(), "--out", once.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: " + in + " already has column(s) [score]; the new columns are "
                + "predicted_2, score_2, p_neg_2, p_pos_2"), r.err());
        List<String> lines = Files.readAllLines(once);
        assertEquals("text,score,predicted_2,score_2,p_neg_2,p_pos_2", lines.get(0));
        assertTrue(lines.get(1).startsWith("good phone,5,"), lines.get(1));
        // a classified file classified again: bert-ft reads its own output, and nothing is renamed or lost
        Path twice = tmp.resolve("twice.csv");
        r = CliTest.run("classify", once.toString(), "--model", clf.toString(), "--out", twice.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("text,score,predicted_2,score_2,p_neg_2,p_pos_2,predicted_3,score_3,p_neg_3,p_pos_3",
                Files.readAllLines(twice).get(0));
        Path plain = tmp.resolve("plain.csv");
        Files.write(plain, List.of("text", "ok"));
        r = CliTest.run("classify", plain.toString(), "--model", clf.toString());
        assertEquals("text,predicted,score,p_neg,p_pos", r.out().lines().findFirst().orElse(""));
        assertFalse(r.err().contains("note:"), r.err());
    }

    @Test
    void jsonLinesKeepTheirTypesAndScoresAreNumbers(@TempDir Path tmp) throws Exception {
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        Path in = tmp.resolve("in.jsonl");
        Files.write(in, List.of(
                "{\"id\": 1, \"text\": \"good phone\", \"meta\": {\"tags\": [1, \"a\"]}, \"ok\": true, \"n\": null}",
                "{\"id\": 2, \"text\": 5}",
                "{\"text\": [\"a\"], \"id\": 3}",
                "{\"id\": 4.50, \"text\": \"bad\"}"));
        Run r = CliTest.run("classify", in.toString(), "--model", clf.toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("skipped " + in + ":2: 'text' is a number, not a string"), r.err());
        assertTrue(r.err().contains("skipped " + in + ":3: 'text' is a list, not a string"), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertTrue(first.get("id").getAsJsonPrimitive().isNumber(), lines.get(0));
        assertEquals(JsonParser.parseString("{\"tags\": [1, \"a\"]}"), first.get("meta"));
        assertTrue(first.get("ok").getAsJsonPrimitive().isBoolean(), lines.get(0));
        assertTrue(first.has("n") && first.get("n").isJsonNull(), lines.get(0));
        assertTrue(first.get("predicted").getAsJsonPrimitive().isString(), lines.get(0));
        for (String k : List.of("score", "p_neg", "p_pos")) {
            assertTrue(first.get(k).getAsJsonPrimitive().isNumber(), k + " in " + lines.get(0));
        }
        assertEquals(1.0, first.get("p_neg").getAsDouble() + first.get("p_pos").getAsDouble(), 2e-4);
        assertTrue(lines.get(1).startsWith("{\"id\":4.50,\"text\":\"bad\","), "numbers as written: " + lines.get(1));

        // to CSV: cells by column name, whatever the key order of each object
        Path mixed = tmp.resolve("mixed.jsonl");
        Files.write(mixed, List.of("{\"id\": 1, \"text\": \"good\"}", "{\"text\": \"bad\", \"id\": 2}",
                "{\"text\": \"so so\"}", "{\"id\": 3, \"text\": \"fine\", \"extra\": 1}"));
        Path csv = tmp.resolve("mixed.csv");
        r = CliTest.run("classify", mixed.toString(), "--model", clf.toString(), "--out", csv.toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains(mixed + ":4: field 'extra' is not among the columns of the first row"), r.err());
        List<String> rows = Files.readAllLines(csv);
        assertEquals("id,text,predicted,score,p_neg,p_pos", rows.get(0));
        assertTrue(rows.get(1).startsWith("1,good,") && rows.get(2).startsWith("2,bad,")
                && rows.get(3).startsWith("\"\",so so,"), rows.toString());
        assertEquals(4, rows.size(), rows.toString());
    }

    @Test
    void aTableInTheWrongFormatSaysWhatItLooksLike(@TempDir Path tmp) throws Exception {
        Path clf = Tiny.classifier(tmp.resolve("clf"), 1, "neg", "pos");
        Path csvNamedJsonl = tmp.resolve("data.jsonl");
        Files.write(csvNamedJsonl, List.of("text,label", "good,pos"));
        oneLine(CliTest.run("classify", csvNamedJsonl.toString(), "--model", clf.toString()),
                csvNamedJsonl + ":1: not a JSON object: it looks like CSV (text,label), but is read as JSON lines "
                        + "because of its name; rename it .csv");
        oneLine(withStdin(new ByteArrayInputStream("text,label\ngood,pos\n".getBytes(StandardCharsets.UTF_8)),
                "classify", "-", "--format", "jsonl", "--model", clf.toString()),
                "stdin:1: not a JSON object: it looks like CSV (text,label), but is read as JSON lines (--format); "
                        + "use --format csv");
        Path jsonNamedCsv = tmp.resolve("data.csv");
        Files.write(jsonNamedCsv, List.of("{\"text\": \"good\", \"label\": \"pos\"}"));
        oneLine(CliTest.run("classify", jsonNamedCsv.toString(), "--model", clf.toString()),
                jsonNamedCsv + ":1: the header looks like JSON lines");
        Path tsvNamedCsv = tmp.resolve("tabs.csv");
        Files.write(tsvNamedCsv, List.of("text\tlabel", "good\tpos"));
        oneLine(CliTest.run("classify", tsvNamedCsv.toString(), "--model", clf.toString()),
                tsvNamedCsv + ": no column 'text' (columns: text\tlabel); is it tab-separated?");
        Path document = tmp.resolve("doc.jsonl");
        Files.write(document, List.of("[", "  {\"text\": \"good\"}", "]"));
        oneLine(CliTest.run("classify", document.toString(), "--model", clf.toString()),
                document + ":1: not a JSON object: it starts a JSON list");
        // the same for training data
        Path task = tmp.resolve("t.yaml");
        Files.writeString(task, "task: classification\nmodel: " + clf + "\ndata-dir: " + tmp + "\ntrain: data.jsonl\n"
                + "labels: [neg, pos]\n");
        oneLine(CliTest.run("train", task.toString(), "--out", tmp.resolve("run").toString()),
                csvNamedJsonl + ":1: not a JSON object: it looks like CSV");
    }

    /** A Chinese CSV saved in GBK: one line naming the file and the way out; with --encoding gbk it trains. */
    @Test
    void aGbkCsvIsOneLineAndTrainsWithEncodingGbk(@TempDir Path tmp) throws Exception {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 3);
        Path data = tmp.resolve("reviews.csv");
        Files.write(data, "text,label\n房间干净，服务周到。,pos\n太吵了，不会再来！,neg\n".getBytes(
                java.nio.charset.Charset.forName("GBK")));
        Path task = tmp.resolve("t.yaml");
        Files.writeString(task, "task: classification\nmodel: " + model + "\ntrain: " + data + "\n"
                + "labels: [neg, pos]\nepochs: 1\nbatch-size: 2\n");
        oneLine(CliTest.run("train", task.toString(), "--out", tmp.resolve("run").toString()), data + ":2: not valid "
                + "UTF-8, but reads as GBK (common for Chinese files): re-save it as UTF-8, or give --encoding gbk");
        Run ok = CliTest.run("train", task.toString(), "--out", tmp.resolve("run").toString(), "--encoding", "gbk");
        assertEquals(0, ok.code(), ok.err());
        // classify has no --encoding: the advice there is to convert the file
        oneLine(CliTest.run("classify", data.toString(), "--model", tmp.resolve("run").toString()), data + ":2: not"
                + " valid UTF-8, but reads as GBK (common for Chinese files): re-save it as UTF-8 (iconv -f gbk -t utf-8)");
    }

    @Test
    void qaJsonOffsetsAreCodePointsAsInPython(@TempDir Path tmp) {
        Path qa = Tiny.qa(tmp.resolve("qa"), 3);
        // emoji (outside the BMP), CJK, Hebrew (right to left) and Arabic before and between the words
        String ctx = "\uD83D\uDE00\uD83C\uDF89 the capital \u6771\u4EAC of \u05E9\u05DC\u05D5\u05DD "
                + "\uD83D\uDE80 is paris , \u0645\u0631\u062D\u0628\u0627 and \uD83D\uDC4D rome .";
        Run r = CliTest.run("qa", "--model", qa.toString(), "--context", ctx, "--question", "what is the capital ?",
                "--top-k", "20", "--json");
        assertEquals(0, r.code(), r.err());
        var answers = JsonParser.parseString(r.out().strip()).getAsJsonObject().getAsJsonArray("answers");
        assertTrue(answers.size() > 5, r.out());
        int[] cps = ctx.codePoints().toArray();
        boolean afterAstral = false;
        for (var a : answers) {
            JsonObject o = a.getAsJsonObject();
            int start = o.get("start").getAsInt();
            int end = o.get("end").getAsInt();
            // Python: context[start:end]
            assertEquals(o.get("answer").getAsString(), new String(cps, start, end - start), o.toString());
            afterAstral |= start > 2;
        }
        assertTrue(afterAstral, "some answer lies after the emoji, where UTF-16 and code points differ: " + r.out());
    }

    /** A task for the tiny model (2 layers, 64 positions) whose data need not exist: checks come first. */
    static Path tinyTask(Path tmp, String extra) throws Exception {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1);
        Path task = tmp.resolve("t.yaml");
        Files.writeString(task, "task: classification\nmodel: " + model + "\ndata-dir: " + tmp + "\n"
                + "train: train.csv\nlabels: [neg, pos]\n" + extra);
        return task;
    }

    @Test
    void settingsBeyondTheModelAreRejectedBeforeTraining(@TempDir Path tmp) throws Exception {
        Path task = tinyTask(tmp, "max-length: 100000\n");
        Path model = tmp.resolve("tiny");
        Path out = tmp.resolve("run");
        oneLine(CliTest.run("train", task.toString(), "--out", out.toString()),
                task + ":6: max-length 100000: " + model + " has 64 positions (max_position_embeddings); use 4 to 64");
        oneLine(CliTest.run("train", task.toString(), "--out", out.toString(), "--max-length", "65"),
                "--max-length 65: " + model + " has 64 positions");
        oneLine(CliTest.run("train", task.toString(), "--out", out.toString(), "--max-length", "32",
                "--strategy", "top-k", "--unfreeze-layers", "99"),
                "--unfreeze-layers 99: " + model + " has 2 layers (num_hidden_layers); use 0 to 2");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void badTrainingDataLeavesNoRunDirectory(@TempDir Path tmp) throws Exception {
        Path task = tinyTask(tmp, "max-length: 32\n");
        Files.writeString(tmp.resolve("good.csv"), "text,label\nfine,pos\nbad,neg\n");
        Files.writeString(tmp.resolve("bad.csv"), "text,label\nfine,pos\nmeh,so-so\n");
        Path out = tmp.resolve("run");
        oneLine(CliTest.run("train", task.toString(), "--out", out.toString(), "--train", "good.csv,missing.csv"),
                tmp.resolve("missing.csv") + ": no such file");
        oneLine(CliTest.run("train", task.toString(), "--out", out.toString(), "--train", "good.csv,bad.csv"),
                tmp.resolve("bad.csv") + ":3: label 'so-so' is not one of [neg, pos]");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void compareChecksEveryStrategyBeforeTheFirstRun(@TempDir Path tmp) throws Exception {
        Path task = tinyTask(tmp, "max-length: 32\n");
        Path out = tmp.resolve("cmp");
        String t = task.toString();
        String o = out.toString();
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,bogus"),
                "--strategies bogus: 'bogus' is not a strategy (one of frozen, top-k, full, llrd, gradual, ulmfit, lora, ia3,"
                        + " bitfit, setfit;");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,top-99"),
                "--strategies top-99: --unfreeze-layers 99: " + tmp.resolve("tiny") + " has 2 layers");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,frozen:lerning-rate=1e-3"),
                "--strategies frozen:lerning-rate=1e-3: unknown option '--lerning-rate' (did you mean "
                        + "'--learning-rate'?)");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,frozen:epochs=-1"),
                "--strategies frozen:epochs=-1: --epochs: must be > 0, got -1");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,frozen:max-length=500"),
                "--strategies frozen:max-length=500: --max-length 500:");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,frozen:seed=3"),
                "--strategies frozen:seed=3: 'seed' cannot be set per strategy");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full,frozen,full"),
                "--strategies full: appears twice");
        oneLine(CliTest.run("compare", t, "--out", o, "--strategies", "full", "--seeds", "1,2,1"),
                "--seeds: 1 appears twice");
        assertFalse(Files.exists(out), "no run started");
    }

    /** --seeds said "not a long"; a long value came back whole (a 10k-item --space as a 50 KB line). */
    @Test
    void seedsSayWhatTheyTakeAndLongValuesAreCutInMessages(@TempDir Path tmp) throws Exception {
        String t = tinyTask(tmp, "validation-split: 0.25\n").toString();
        String o = tmp.resolve("out").toString();
        for (List<String> command : List.of(List.of("compare", t, "--out", o),
                List.of("tune", t, "--space", "learning-rate=1e-3,2e-3", "--out", o))) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--seeds", "a"));
            oneLine(CliTest.run(args.toArray(String[]::new)), "--seeds a: not a whole number; expected"
                    + " comma-separated integers such as 1,2,3");
            args.set(args.size() - 1, "1,2.5,3");
            oneLine(CliTest.run(args.toArray(String[]::new)), "--seeds 2.5: not a whole number;");
            args.set(args.size() - 1, "7".repeat(50_000) + "x");
            Run huge = CliTest.run(args.toArray(String[]::new));
            oneLine(huge, "--seeds " + "7".repeat(60) + "… (50001 characters): not a whole number");
            assertTrue(huge.err().length() < 200, huge.err());
        }
        StringBuilder values = new StringBuilder("learning-rate=");
        for (int i = 1; i <= 10_000; i++) {
            values.append(i).append("e-9,");
        }
        Run space = CliTest.run("tune", t, "--space", values + "1e-9", "--out", o);
        oneLine(space, "--space: learning-rate=1e-9,2e-9,3e-9,");
        assertTrue(space.err().length() < 200 && space.err().contains("'1e-9' is listed twice"), space.err());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hugeButValidNumbersNeitherOverflowNorHang(@TempDir Path tmp) throws Exception {
        Path task = tinyTask(tmp, "max-length: 16\nepochs: 1\n");
        Files.write(tmp.resolve("train.csv"), List.of("text,label", "good,pos", "bad,neg", "fine,pos"));
        String max = Integer.toString(Integer.MAX_VALUE);
        Run r = CliTest.run("train", task.toString(), "--out", tmp.resolve("run").toString(), "--batch-size", max,
                "--gradient-accumulation", max);
        assertEquals(0, r.code(), r.err());
        JsonObject report = JsonParser.parseString(Files.readString(tmp.resolve("run/report.json"))).getAsJsonObject();
        assertEquals(1, report.getAsJsonObject("training").get("steps").getAsInt(), report.toString());
        Run b = CliTest.run("bench", "--model", tmp.resolve("tiny").toString(), "--data",
                tmp.resolve("train.csv").toString(), "--batch-size", max, "--max-length", "16", "--repeats", "1");
        assertEquals(0, b.code(), b.err());
        oneLine(CliTest.run("train", task.toString(), "--learning-rate", "1e999"),
                "--learning-rate: 1e999 is too large a number");
        oneLine(CliTest.run("train", task.toString(), "--epochs", "1e400"), "--epochs: 1e400 is too large a number");
    }

    @Test
    void benchRunsOnASmallModelAndOutOfMemoryIsOneLine(@TempDir Path tmp) {
        Path model = Tiny.checkpoint(tmp.resolve("tiny"), 1); // 177 tokens: fewer than BERT's reserved ids
        Run r = CliTest.run("bench", "--model", model.toString(), "--shapes", "2x8", "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(BertFt.outOfMemory(new RuntimeException("step", new OutOfMemoryError("Java heap space"))));
        assertTrue(BertFt.outOfMemory(new ai.djl.engine.EngineException(
                "DefaultCPUAllocator: not enough memory: you tried to allocate 1099511627776 bytes.")));
        assertFalse(BertFt.outOfMemory(new IllegalStateException("index out of range")));
    }
}
