package bertft.data;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.UserError;
import bertft.data.Example;
import bertft.data.LabelledData;
import bertft.data.LineReader;
import bertft.data.TableReader;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Unlabelled text for masked-LM training, as {@code run_mlm.py} prepares it: documents read, a seeded share held
 * out, each document tokenized with its special tokens, then either concatenated and cut into {@code max-length}
 * blocks ({@code group_texts}, the remainder dropped) or kept one per sequence, truncated ({@code line_by_line}).
 */
public final class Corpus {
    private static final Set<String> TABLES = Set.of("csv", "tsv", "tab", "jsonl", "ndjson", "json");

    /**
     * One sequence.
     *
     * @param ids token ids
     * @param special which positions are special tokens ([CLS], [SEP], ...): never masked
     * @param wordStart which positions start a word (whole-word masking)
     */
    public record Sequence(long[] ids, boolean[] special, boolean[] wordStart) {
        public int length() {
            return ids.length;
        }
    }

    /** Training and held-out sequences. */
    public record Split(List<Sequence> train, List<Sequence> heldOut, int documents) {}

    private Corpus() {}

    /** Reads, splits and tokenizes the text files of an adapt task. */
    public static Split read(TaskSpec spec, BertTokenizer tok, int maxLength) {
        List<String> docs = new ArrayList<>();
        for (Path f : spec.text()) {
            docs.addAll(documents(f, spec));
        }
        double share = spec.validationSplit() != null ? spec.validationSplit() : 0.05;
        List<String> shuffled = new ArrayList<>(docs);
        Collections.shuffle(shuffled, new Random(spec.seed()));
        int held = (int) Math.round(shuffled.size() * share);
        if (held < 1 || held >= shuffled.size()) {
            throw new UserError("validation-split: " + share + " of " + docs.size() + " documents holds out " + held
                    + "; adapt needs at least one document on each side (add text or change validation-split)");
        }
        List<Sequence> heldOut = sequences(shuffled.subList(0, held), tok, maxLength, spec.lineByLine(),
                "the held-out split");
        List<Sequence> train = sequences(shuffled.subList(held, shuffled.size()), tok, maxLength, spec.lineByLine(),
                "the training split");
        return new Split(train, heldOut, docs.size());
    }

    /**
     * The documents of one file: a table's text-column (rows with an empty text left out, as blank lines are; a text
     * that is not a string, or none, is an error naming file:line, as train reports it), else non-blank lines, read
     * as {@link LineReader} bounds them.
     */
    public static List<String> documents(Path file, TaskSpec spec) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<String> docs = new ArrayList<>();
        if (TABLES.contains(name.substring(name.lastIndexOf('.') + 1))) {
            List<TableReader.Problem> bad = new ArrayList<>();
            try (TableReader table = TableReader.open(file, null, spec.encoding(), TableReader.FAIL)) {
                LabelledData.unlabelled(table, spec, p -> {
                    if (!p.message().equals(LabelledData.EMPTY_TEXT)) {
                        bad.add(p);
                    }
                }).map(Example::text).forEach(docs::add);
            }
            if (!bad.isEmpty()) {
                throw new UserError(bad.get(0) + (bad.size() == 1 ? "" : " (and " + (bad.size() - 1) + " more "
                        + (bad.size() == 2 ? "problem" : "problems") + " in this file)"));
            }
        } else {
            try (LineReader lines = LineReader.open(file.toString())) {
                for (String line = lines.next(); line != null; line = lines.next()) {
                    if (!line.isBlank()) {
                        docs.add(line.strip());
                    }
                }
            }
        }
        if (docs.isEmpty()) {
            throw new UserError(file + ": no text to adapt on (empty file, or every '" + spec.textColumn()
                    + "' cell is empty)");
        }
        return docs;
    }

    /**
     * Tokenized sequences: each document with its special tokens, then grouped into blocks of exactly
     * {@code maxLength} tokens (HuggingFace's {@code group_texts}), or one truncated sequence per document.
     */
    public static List<Sequence> sequences(List<String> docs, BertTokenizer tok, int maxLength, boolean lineByLine,
            String what) {
        List<Sequence> out = new ArrayList<>();
        if (lineByLine) {
            try (BertTokenizer t = tok.withMaxLength(maxLength)) {
                for (String d : docs) {
                    out.add(sequence(t.encode(d)));
                }
            }
            return out;
        }
        List<Sequence> whole = new ArrayList<>();
        long total = 0;
        try (BertTokenizer t = tok.withMaxLength(1 << 20)) {
            for (String d : docs) {
                Encoding e = t.encode(d);
                whole.add(sequence(e));
                total += e.getIds().length;
            }
        }
        if (total < maxLength) {
            throw new UserError(what + " has " + total + " tokens, fewer than one block of max-length " + maxLength
                    + " (lower max-length, add text, or set line-by-line: true)");
        }
        long[] ids = new long[(int) total];
        boolean[] special = new boolean[ids.length];
        boolean[] start = new boolean[ids.length];
        int at = 0;
        for (Sequence s : whole) {
            System.arraycopy(s.ids(), 0, ids, at, s.length());
            System.arraycopy(s.special(), 0, special, at, s.length());
            System.arraycopy(s.wordStart(), 0, start, at, s.length());
            at += s.length();
        }
        for (int b = 0; b + maxLength <= ids.length; b += maxLength) { // the remainder is dropped, as group_texts
            out.add(new Sequence(java.util.Arrays.copyOfRange(ids, b, b + maxLength),
                    java.util.Arrays.copyOfRange(special, b, b + maxLength),
                    java.util.Arrays.copyOfRange(start, b, b + maxLength)));
        }
        return out;
    }

    /** An encoding as a sequence; a token starts a word where its word id changes. */
    private static Sequence sequence(Encoding e) {
        long[] ids = e.getIds();
        long[] specialMask = e.getSpecialTokenMask();
        long[] words = e.getWordIds();
        boolean[] special = new boolean[ids.length];
        boolean[] start = new boolean[ids.length];
        for (int j = 0; j < ids.length; j++) {
            special[j] = specialMask[j] != 0;
            start[j] = special[j] || j == 0 || words[j] != words[j - 1] || specialMask[j - 1] != 0;
        }
        return new Sequence(ids, special, start);
    }
}
