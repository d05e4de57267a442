package bertft.run;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import bertft.UserError;
import bertft.data.Cjk;
import bertft.data.Features;
import bertft.data.TaggedData;
import bertft.eval.Entities;
import bertft.eval.EntityMetrics;
import bertft.infer.EntityGrouping;
import bertft.infer.Forward;
import bertft.infer.Predictor;
import bertft.model.Objective;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import bertft.text.WordWindows;
import bertft.train.TokenObjective;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Token classification's data and predictions: tagged sentences as training windows with a label per word piece,
 * and a model's tag for every word, read from the window where the word sits furthest from an edge.
 */
public final class Tagging {
    private Tagging() {}

    /** The task's tagged files read, their scheme and labels resolved and every tag checked against them. */
    public record Data(List<String> labels, TaggedData.Scheme scheme, TaggedData train, TaggedData validation,
            TaggedData test) {}

    /**
     * Reads the training files (as one), validation and test; labels are the task's or inferred over all training
     * files ({@link TaggedData#inferLabels}), the scheme declared or detected there. A validation or test tag that
     * is not a label is an error naming file:line.
     */
    public static Data read(TaskSpec spec, java.io.PrintStream err) {
        List<TaggedData> trainFiles = new ArrayList<>();
        for (Path f : spec.requireTrain()) {
            trainFiles.add(TaggedData.read(f, spec.labels()));
        }
        TaggedData.Scheme scheme = TaggedData.Scheme.parse(spec.tagScheme());
        if (scheme == null) {
            scheme = TaggedData.detect(trainFiles);
            err.println("tag scheme: " + scheme.name().toLowerCase(java.util.Locale.ROOT) + " (detected; set tag-scheme"
                    + " to declare it)");
        }
        List<String> labels = spec.labels();
        if (labels == null || labels.isEmpty()) {
            labels = TaggedData.inferLabels(trainFiles);
            err.println("labels: " + labels + " (inferred from the training data; set labels to fix them)");
        }
        List<TaggedData.Sentence> all = new ArrayList<>();
        for (TaggedData d : trainFiles) {
            d.check(scheme, labels);
            all.addAll(d.sentences());
        }
        TaggedData train = new TaggedData(trainFiles.size() == 1 ? trainFiles.get(0).file()
                : String.join(" + ", trainFiles.stream().map(TaggedData::file).toList()), all);
        boolean toO = spec.unknownTags().equals("O");
        TaggedData test = checked(spec.test(), scheme, labels, toO, err);
        if (spec.testSplit() != null) {
            TaggedData[] parts = train.split(spec.testSplit(), TrainJob.TEST_SPLIT_SEED, "test-split");
            train = parts[0];
            test = parts[1];
            err.println(test.file() + ": " + test.sentences().size() + " sentences");
        }
        TaggedData validation = checked(spec.validation(), scheme, labels, toO, err);
        if (validation == null && spec.validationSplit() != null) {
            TaggedData[] parts = train.split(spec.validationSplit(), spec.seed(), "validation-split");
            train = parts[0];
            validation = parts[1];
            err.println(validation.file() + ": " + validation.sentences().size() + " sentences");
        }
        return new Data(labels, scheme, train, validation, test);
    }

    /**
     * {@code file} read and checked, or null when it is null: a tag that is not one of {@code labels} is an error
     * naming file:line, or with {@code unknownAsO} read as O with one warning line on {@code err}.
     */
    public static TaggedData checked(Path file, TaggedData.Scheme scheme, List<String> labels, boolean unknownAsO,
            java.io.PrintStream err) {
        if (file == null) {
            return null;
        }
        TaggedData d = TaggedData.read(file, labels);
        if (unknownAsO) {
            d = d.unknownAsO(scheme, labels, err::println);
        }
        d.check(scheme, labels);
        return d;
    }

    /**
     * Training examples: every window of every sentence, each with a label id per position. The label sits on each
     * word's first piece; with {@code allTokens} on its other pieces too, a B- tag there turned into the I- of its
     * type when that is a label (run_ner.py's {@code b_to_i_label}).
     */
    public static Features features(TaggedData data, List<String> labels, BertTokenizer tok, int maxLength,
            int stride, boolean allTokens) {
        List<Encoding> enc = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        int[] inside = new int[labels.size()];
        for (int i = 0; i < inside.length; i++) {
            String l = labels.get(i);
            int in = l.startsWith("B-") ? labels.indexOf("I-" + l.substring(2)) : -1;
            inside[i] = in >= 0 ? in : i;
        }
        for (TaggedData.Sentence s : data.sentences()) {
            int[] ids = s.tags().stream().mapToInt(labels::indexOf).toArray();
            for (WordWindows.Window w : windows(tok, data.file(), s, maxLength, stride).windows()) {
                float[] y = new float[w.length()];
                for (int i = 0; i < y.length; i++) {
                    int word = w.words()[i];
                    y[i] = word < 0 ? TokenObjective.IGNORED : w.first()[i] ? ids[word]
                            : allTokens ? inside[ids[word]] : TokenObjective.IGNORED;
                }
                enc.add(w.encoding());
                targets.add(y);
            }
        }
        return new Features(enc, targets);
    }

    private static WordWindows windows(BertTokenizer tok, String file, TaggedData.Sentence s, int maxLength,
            int stride) {
        try {
            return tok.words(s.words(), maxLength, stride);
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ":" + s.line() + ": " + e.getMessage());
        }
    }

    /**
     * Per sentence, per word: the label scores (softmax) at the word's owner position; null for a word the
     * tokenizer turned into no piece at all.
     */
    public static List<float[][]> scores(Forward forward, List<List<String>> sentences, BertTokenizer tok,
            int maxLength, int stride, int batchSize, int classes) {
        List<WordWindows> all = new ArrayList<>();
        List<Encoding> enc = new ArrayList<>();
        int[] firstWindow = new int[sentences.size()];
        for (int s = 0; s < sentences.size(); s++) {
            WordWindows ww = tok.words(sentences.get(s), maxLength, stride);
            firstWindow[s] = enc.size();
            all.add(ww);
            ww.windows().forEach(w -> enc.add(w.encoding()));
        }
        // (T * C) per window, T the longest window of its batch: position p's logits at [p * C, (p + 1) * C)
        float[][] logits = new Predictor(forward, Objective.SINGLE_LABEL, batchSize).logits(enc);
        List<float[][]> out = new ArrayList<>(sentences.size());
        for (int s = 0; s < sentences.size(); s++) {
            WordWindows ww = all.get(s);
            float[][] words = new float[ww.owners().length][];
            for (int w = 0; w < words.length; w++) {
                int[] owner = ww.owners()[w];
                if (owner[0] < 0) {
                    continue;
                }
                int window = firstWindow[s] + owner[0];
                float[] row = Arrays.copyOfRange(logits[window], owner[1] * classes, (owner[1] + 1) * classes);
                words[w] = Objective.SINGLE_LABEL.scores(row);
            }
            out.add(words);
        }
        return out;
    }

    /** The tag of every word: the argmax label at its owner position ({@code O} for a word with no piece). */
    public static List<List<String>> predict(Forward forward, List<List<String>> sentences, List<String> labels,
            BertTokenizer tok, int maxLength, int stride, int batchSize) {
        List<List<String>> out = new ArrayList<>();
        for (float[][] words : scores(forward, sentences, tok, maxLength, stride, batchSize, labels.size())) {
            List<String> tags = new ArrayList<>(words.length);
            for (float[] p : words) {
                tags.add(p == null ? "O" : labels.get(Scoring.argmax(p)));
            }
            out.add(tags);
        }
        return out;
    }

    /** seqeval's mode for the task: strict ({@code strict: true}) for iob2 or bioes/bilou tags, else its default. */
    public static Entities.Mode mode(boolean strict, TaggedData.Scheme scheme) {
        if (!strict) {
            return Entities.Mode.DEFAULT;
        }
        return switch (scheme) {
            case IOB2 -> Entities.Mode.STRICT_IOB2;
            case BIOES, BILOU -> Entities.Mode.STRICT_IOBES;
            case IOB1 -> throw new UserError("strict: scores iob2 and bioes tags only (seqeval's strict mode), not"
                    + " iob1");
        };
    }

    /**
     * The report of {@code predicted} tags against {@code data}'s: {@code {"metrics": {f1, precision, recall,
     * token_accuracy, entities, per_type, type_confusion}, "mode": ...}}.
     */
    public static Evaluation report(TaggedData data, List<List<String>> predicted, Entities.Mode mode) {
        List<List<String>> gold = data.sentences().stream().map(TaggedData.Sentence::tags).toList();
        EntityMetrics m = EntityMetrics.compute(gold, predicted, mode);
        JsonObject report = new JsonObject();
        report.addProperty("mode", mode == Entities.Mode.DEFAULT ? "default" : "strict");
        report.addProperty("sentences", data.sentences().size());
        report.add("by_sentence_length", byLength(gold, predicted, mode));
        report.add("worst_sentences", worst(data, predicted, mode, 15));
        return new Evaluation(m, java.util.Map.of(), null, report);
    }

    /** Sentence-length buckets in words, for {@link #byLength}. */
    private static final int[] LENGTHS = {10, 20, 40};

    /**
     * Entity scores of the sentences of each length bucket ({@code 1-10}, {@code 11-20}, {@code 21-40},
     * {@code 41+} words): {sentences, entities (gold), precision, recall, f1}; empty buckets left out.
     */
    static JsonObject byLength(List<List<String>> gold, List<List<String>> predicted, Entities.Mode mode) {
        JsonObject out = new JsonObject();
        for (int b = 0; b <= LENGTHS.length; b++) {
            int lo = b == 0 ? 1 : LENGTHS[b - 1] + 1;
            int hi = b == LENGTHS.length ? Integer.MAX_VALUE : LENGTHS[b];
            List<List<String>> g = new ArrayList<>();
            List<List<String>> p = new ArrayList<>();
            for (int s = 0; s < gold.size(); s++) {
                if (gold.get(s).size() >= lo && gold.get(s).size() <= hi) {
                    g.add(gold.get(s));
                    p.add(predicted.get(s));
                }
            }
            if (g.isEmpty()) {
                continue;
            }
            EntityMetrics m = EntityMetrics.compute(g, p, mode);
            JsonObject row = new JsonObject();
            row.addProperty("sentences", g.size());
            row.addProperty("entities", m.micro().support());
            row.addProperty("precision", m.micro().precision());
            row.addProperty("recall", m.micro().recall());
            row.addProperty("f1", m.micro().f1());
            out.add(hi == Integer.MAX_VALUE ? lo + "+" : lo + "-" + hi, row);
        }
        return out;
    }

    /**
     * The {@code k} sentences with the most entity errors (gold entities missed plus predicted ones that are not
     * gold), file order on ties: line, text, and the gold and predicted entities as {@code [type: words]}.
     */
    static JsonArray worst(TaggedData data, List<List<String>> predicted, Entities.Mode mode, int k) {
        List<int[]> errors = new ArrayList<>(); // {sentence, errors}
        for (int s = 0; s < predicted.size(); s++) {
            List<Entities.Entity> g = Entities.of(data.sentences().get(s).tags(), mode);
            List<Entities.Entity> p = Entities.of(predicted.get(s), mode);
            long wrong = g.stream().filter(e -> !p.contains(e)).count() + p.stream().filter(e -> !g.contains(e)).count();
            if (wrong > 0) {
                errors.add(new int[] {s, (int) wrong});
            }
        }
        errors.sort((a, b) -> b[1] != a[1] ? b[1] - a[1] : a[0] - b[0]);
        JsonArray out = new JsonArray();
        for (int[] e : errors.subList(0, Math.min(k, errors.size()))) {
            TaggedData.Sentence s = data.sentences().get(e[0]);
            JsonObject o = new JsonObject();
            o.addProperty("line", s.line());
            o.addProperty("text", Cjk.join(s.words()));
            o.addProperty("gold", spans(s.words(), Entities.of(s.tags(), mode)));
            o.addProperty("predicted", spans(s.words(), Entities.of(predicted.get(e[0]), mode)));
            o.addProperty("errors", e[1]);
            out.add(o);
        }
        return out;
    }

    private static String spans(List<String> words, List<Entities.Entity> entities) {
        return String.join(", ", entities.stream().map(e -> "[" + e.type() + ": "
                + Cjk.join(words.subList(e.first(), e.last() + 1)) + "]").toList());
    }

    /** CoNLL lines {@code word<TAB>gold<TAB>predicted}, a blank line after each sentence (for conlleval). */
    public static String conll(TaggedData data, List<List<String>> predicted) {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < predicted.size(); s++) {
            TaggedData.Sentence sent = data.sentences().get(s);
            for (int i = 0; i < sent.words().size(); i++) {
                sb.append(sent.words().get(i)).append('\t').append(sent.tags().get(i)).append('\t')
                        .append(predicted.get(s).get(i)).append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * The word pieces of raw {@code text} as HuggingFace's TokenClassificationPipeline gathers them with a fast
     * tokenizer ({@code gather_pre_entities}): special tokens left out; start/end from the encoding's spans (code
     * points); a WordPiece piece continues a word when its spelling is not as long as the text it covers
     * ({@code ##ing} over "ing"), other tokenizers use the pipeline's fallback (no space before it); an unknown
     * piece is spelt as its text and never continues a word.
     *
     * @param logits the encoding's row of (T * C) logits, T at least its length
     */
    public static List<EntityGrouping.Piece> pieces(String text, Encoding e, float[] logits, int classes,
            BertTokenizer tok) {
        int[] cps = text.codePoints().toArray();
        long[] ids = e.getIds();
        long[] special = e.getSpecialTokenMask();
        String[] tokens = e.getTokens();
        CharSpan[] spans = e.getCharTokenSpans();
        long unk = tok.unkId();
        List<EntityGrouping.Piece> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (special[i] != 0 || spans[i] == null) {
                continue;
            }
            int start = spans[i].getStart();
            int end = spans[i].getEnd();
            String ref = new String(cps, start, end - start);
            String word = tokens[i];
            boolean subword = tok.wordPiece() ? word.codePointCount(0, word.length()) != end - start
                    : start > 0 && !new String(cps, start - 1, Math.min(end, start + 1) - (start - 1)).contains(" ");
            if (ids[i] == unk) {
                word = ref;
                subword = false;
            }
            float[] p = Objective.SINGLE_LABEL.scores(Arrays.copyOfRange(logits, i * classes, (i + 1) * classes));
            double[] scores = new double[classes];
            for (int c = 0; c < classes; c++) {
                scores[c] = p[c];
            }
            out.add(new EntityGrouping.Piece(word, scores, start, end, i, subword));
        }
        return out;
    }
}
