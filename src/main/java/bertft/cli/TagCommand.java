package bertft.cli;

import bertft.AtomicFiles;
import bertft.UserError;
import bertft.api.ModelOptions;
import bertft.api.Tagger;
import bertft.data.LineReader;
import bertft.data.TaggedData;
import bertft.infer.EntityGrouping;
import bertft.run.ModelChoice;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft tag}: the entities (or any word tags) of raw text, or a tag appended to each word of a CoNLL file. */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = {"Tag words with a token-classification model. --text: the entities of raw text as"
                + " HuggingFace's pipeline(\"ner\") reports them (entity_group, score, word, start/end in code points)."
                + " FILE: a CoNLL file (word first on each line, sentences separated by blank lines) written back"
                + " with the predicted tag appended to each line."})
final class TagCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = {"A token-classification run directory, any"
            + " HuggingFace *ForTokenClassification checkpoint directory, or Hub id.",
            "Default: the newest finished run in ./runs with a token-classification head."})
    String model;

    @Option(names = "--text", paramLabel = "TEXT", description = "A text to tag (repeatable).")
    List<String> texts;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "A CoNLL file to tag.")
    Path file;

    @Option(names = "--aggregation", defaultValue = "simple", paramLabel = "STRATEGY",
            description = "How pieces become entities, as the pipeline's aggregation_strategy: none, simple, first,"
                    + " average, max (default: simple).")
    String aggregation;

    @Option(names = "--stride", paramLabel = "N", converter = Ints.NonNegative.class,
            description = {"Word pieces shared by consecutive windows of a text (or CoNLL sentence) longer than the"
                    + " model's max length, as the pipeline's stride; each window is tagged and no text is lost.",
                    "Default: the model's doc-stride (half a window)."})
    Integer stride;

    @Option(names = "--json", description = "One JSON array of entities per text (the pipeline's keys).")
    boolean json;

    @Option(names = "--out", paramLabel = "FILE", description = "Where the tagged CoNLL file goes (default: stdout).")
    Path out;

    @Option(names = "--batch-size", defaultValue = "" + ModelOptions.DEFAULT_BATCH_SIZE, paramLabel = "N", converter = Ints.Positive.class,
            description = "Inputs per forward pass (default: 64).")
    int batchSize;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() {
        if ((texts == null) == (file == null)) {
            throw new UserError(texts == null ? "nothing to tag: give --text TEXT or a CoNLL FILE"
                    : "give --text or a FILE, not both");
        }
        EntityGrouping.Aggregation how;
        try {
            how = EntityGrouping.Aggregation.parse(aggregation);
        } catch (IllegalArgumentException e) {
            throw new UserError("--aggregation: '" + aggregation + "' is not one of none, simple, first, average, max");
        }
        if (texts != null) {
            Texts.requireNonBlank("--text", "text", texts);
        }
        if (out != null && texts != null) {
            throw new UserError("--out: is for a CoNLL FILE; --text answers on stdout");
        }
        if (out != null) {
            OutFile.check(out, file, "tagged.conll");
        }
        Conll input = file == null ? null : read(file);
        Path dir = ModelChoice.resolve(this.model, ModelChoice.Need.TAGGER, spec.commandLine().getErr());
        bertft.run.RunDir.warnIfUnfinished(dir, spec.commandLine().getErr());
        ModelOptions options = ModelOptions.defaults().withRuntime(runtime.value()).withBatchSize(batchSize)
                .withLog(spec.commandLine().getErr());
        PrintWriter pw = spec.commandLine().getOut();
        try (Tagger tagger = Tagger.load(dir.toString(), options)) {
            if (stride != null && stride >= tagger.windowPieces()) {
                throw new UserError("--stride " + stride + ": must be less than the " + tagger.windowPieces()
                        + " word pieces a window of this model holds (max length "
                        + tagger.info().maxLength() + "); the default is half of them");
            }
            if (texts != null) {
                List<List<Tagger.Entity>> all = tagger.tag(texts, how, stride == null ? tagger.stride() : stride);
                for (int i = 0; i < texts.size(); i++) {
                    print(pw, texts.get(i), all.get(i), how);
                }
            } else {
                String conll = write(input, tagger.tagWords(input.words(), stride == null ? tagger.stride() : stride));
                if (out != null) {
                    AtomicFiles.writeString(out, conll);
                } else {
                    pw.print(conll);
                }
            }
        }
        pw.flush();
        return 0;
    }

    private void print(PrintWriter pw, String text, List<Tagger.Entity> entities, EntityGrouping.Aggregation how) {
        if (json) {
            pw.println(Tagger.json(entities, how));
            return;
        }
        pw.println(text);
        if (entities.isEmpty()) {
            pw.println("   (no entities)");
        }
        for (Tagger.Entity e : entities) {
            pw.printf(Locale.ROOT, "   %s\t%s\t%.4f\t%d-%d%n", e.entityGroup(), e.word(), e.score(), e.start(),
                    e.end());
        }
    }

    /**
     * A CoNLL input: every line as written, and the sentences' words (first column); {@code lineOf[s][w]} is the
     * index in {@code lines} of sentence s's word w. Blank and -DOCSTART- lines go back out as they came.
     */
    private record Conll(List<String> lines, List<List<String>> words, List<int[]> lineOf) {}

    private static Conll read(Path file) {
        List<String> lines = new ArrayList<>();
        List<List<String>> sentences = new ArrayList<>();
        List<int[]> lineOf = new ArrayList<>();
        List<String> words = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        try (LineReader in = LineReader.open(file.toString())) {
            for (String line = in.next(); line != null; line = in.next()) {
                String[] cols = line.strip().split("\\s+");
                boolean separator = line.isBlank() || cols[0].equals("-DOCSTART-");
                if (separator && !words.isEmpty()) {
                    sentences.add(words);
                    lineOf.add(at.stream().mapToInt(Integer::intValue).toArray());
                    words = new ArrayList<>();
                    at = new ArrayList<>();
                }
                if (!separator) {
                    if (words.size() >= TaggedData.MAX_WORDS) {
                        throw new UserError(file + ":" + in.line() + ": a sentence of more than " + TaggedData.MAX_WORDS
                                + " words; sentences are separated by blank lines");
                    }
                    words.add(cols[0]);
                    at.add(lines.size());
                }
                lines.add(line);
            }
        }
        if (!words.isEmpty()) {
            sentences.add(words);
            lineOf.add(at.stream().mapToInt(Integer::intValue).toArray());
        }
        if (sentences.isEmpty()) {
            throw new UserError(file + ": no words to tag (a CoNLL file has one word per line, a blank line between"
                    + " sentences)");
        }
        return new Conll(lines, sentences, lineOf);
    }

    /** The input with each word line's predicted tag appended after a tab. */
    private static String write(Conll in, List<List<String>> tags) {
        String[] tagOf = new String[in.lines().size()];
        for (int s = 0; s < tags.size(); s++) {
            for (int w = 0; w < tags.get(s).size(); w++) {
                tagOf[in.lineOf().get(s)[w]] = tags.get(s).get(w);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tagOf.length; i++) {
            String line = in.lines().get(i);
            sb.append(tagOf[i] == null ? line : line.stripTrailing() + "\t" + tagOf[i]).append('\n');
        }
        return sb.toString();
    }
}
