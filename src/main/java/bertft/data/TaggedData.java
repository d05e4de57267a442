package bertft.data;

import bertft.UserError;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Sentences of words with one tag each, for token classification: CoNLL files ({@code .conll}, {@code .txt},
 * {@code .bio}: one {@code word ... tag} per line, the tag in the last column, tab or space separated; sentences
 * separated by blank or whitespace-only lines; {@code -DOCSTART-} lines skipped) or JSON lines ({@code .jsonl},
 * {@code .json}: {@code {"tokens": [...], "tags": [...]}}, HuggingFace datasets' layout; {@code ner_tags} as tag
 * names too, or as numbers into declared labels). Every problem is one {@link UserError} naming file and line.
 *
 * @param file the file as named in messages
 * @param sentences in file order
 */
public record TaggedData(String file, List<Sentence> sentences) {
    /** More words than this in one sentence is a file without sentence breaks, not a sentence. */
    public static final int MAX_WORDS = 10_000;

    /**
     * One sentence.
     *
     * @param line the line it starts on (JSON lines: its line)
     * @param words the words, as written
     * @param tags one tag per word
     */
    public record Sentence(long line, List<String> words, List<String> tags) {}

    /** Tag schemes: which prefixes mark where an entity begins, goes on and ends. */
    public enum Scheme {
        IOB2("BIO"), IOB1("BIO"), BIOES("BIOES"), BILOU("BILOU");

        private final String prefixes;

        Scheme(String prefixes) {
            this.prefixes = prefixes;
        }

        /** The scheme a task names ({@code auto} is null: detect it). */
        public static Scheme parse(String name) {
            return name.equalsIgnoreCase("auto") ? null : valueOf(name.toUpperCase(Locale.ROOT));
        }

        /** The prefix letters this scheme allows ({@code O} stands alone). */
        public String prefixes() {
            return prefixes;
        }
    }

    /** Reads {@code file}; {@code labels}, when given, are the names numeric {@code ner_tags} index. */
    public static TaggedData read(Path file, List<String> labels) {
        String name = file.toString();
        String lower = name.toLowerCase(Locale.ROOT);
        boolean json = lower.endsWith(".jsonl") || lower.endsWith(".json");
        List<Sentence> out = new ArrayList<>();
        try (LineReader in = LineReader.open(name)) {
            if (json) {
                readJson(in, labels, out);
            } else {
                readConll(in, out);
            }
        }
        if (out.isEmpty()) {
            throw new UserError(name + ": no sentences (a CoNLL file has one 'word tag' per line, a blank line"
                    + " between sentences)");
        }
        return new TaggedData(name, List.copyOf(out));
    }

    private static void readConll(LineReader in, List<Sentence> out) {
        List<String> words = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        long start = 0;
        for (String line = in.next(); line != null; line = in.next()) {
            if (line.indexOf('\0') >= 0) {
                throw new UserError(in.name() + ":" + in.line() + ": holds a NUL byte (is it a text file?)");
            }
            String[] fields = line.strip().split("[\\t ]+");
            if (line.isBlank() || fields[0].equals("-DOCSTART-")) {
                add(in.name(), start, words, tags, out);
                words = new ArrayList<>();
                tags = new ArrayList<>();
                continue;
            }
            if (fields.length < 2) {
                throw new UserError(in.name() + ":" + in.line() + ": '" + cut(line.strip()) + "' has no tag column"
                        + " (expected 'word<TAB>tag'; sentences are separated by blank lines)");
            }
            if (words.isEmpty()) {
                start = in.line();
            }
            if (words.size() == MAX_WORDS) {
                throw new UserError(in.name() + ":" + start + ": a sentence of more than " + MAX_WORDS
                        + " words (are blank lines between sentences missing?)");
            }
            words.add(fields[0]);
            tags.add(fields[fields.length - 1]);
        }
        add(in.name(), start, words, tags, out);
    }

    private static void add(String file, long line, List<String> words, List<String> tags, List<Sentence> out) {
        if (!words.isEmpty()) {
            out.add(new Sentence(line, List.copyOf(words), List.copyOf(tags)));
        }
    }

    private static void readJson(LineReader in, List<String> labels, List<Sentence> out) {
        for (String line = in.next(); line != null; line = in.next()) {
            if (line.isBlank()) {
                continue;
            }
            String at = in.name() + ":" + in.line() + ": ";
            JsonObject o;
            try {
                JsonElement e = JsonParser.parseString(line);
                if (!e.isJsonObject()) {
                    throw new UserError(at + "not a JSON object (expected {\"tokens\": [...], \"tags\": [...]})");
                }
                o = e.getAsJsonObject();
            } catch (JsonParseException e) {
                throw new UserError(at + "not valid JSON (" + firstLine(e) + ")");
            }
            List<String> words = strings(o, "tokens", at, null);
            String tagKey = o.has("tags") ? "tags" : "ner_tags";
            List<String> tags = strings(o, tagKey, at, labels);
            if (words.isEmpty()) {
                throw new UserError(at + "empty sentence (no tokens)");
            }
            if (words.size() != tags.size()) {
                throw new UserError(at + words.size() + " tokens but " + tags.size() + " " + tagKey);
            }
            if (words.size() > MAX_WORDS) {
                throw new UserError(at + "a sentence of " + words.size() + " words (at most " + MAX_WORDS + ")");
            }
            out.add(new Sentence(in.line(), words, tags));
        }
    }

    private static List<String> strings(JsonObject o, String key, String at, List<String> labels) {
        if (!o.has(key) || !o.get(key).isJsonArray()) {
            throw new UserError(at + "no '" + key + "' array (expected {\"tokens\": [...], \"tags\": [...]})");
        }
        JsonArray a = o.getAsJsonArray(key);
        List<String> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            JsonElement e = a.get(i);
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && !e.getAsString().isBlank()) {
                out.add(e.getAsString());
            } else if (labels != null && key.equals("ner_tags") && e.isJsonPrimitive()
                    && e.getAsJsonPrimitive().isNumber()) {
                int id = e.getAsInt();
                if (id < 0 || id >= labels.size() || id != e.getAsDouble()) {
                    throw new UserError(at + key + "[" + i + "] = " + e + " is not an index into labels " + labels);
                }
                out.add(labels.get(id));
            } else {
                throw new UserError(at + key + "[" + i + "] = " + cut(e.toString()) + " is not a non-empty string"
                        + (key.equals("ner_tags") ? " (numbers need the task's labels: to name them)" : ""));
            }
        }
        return List.copyOf(out);
    }

    /** The tags in a stable order: {@code O} first, then by entity type and prefix (B before I, ...). */
    public static List<String> inferLabels(List<TaggedData> files) {
        Set<String> tags = new LinkedHashSet<>();
        for (TaggedData d : files) {
            for (Sentence s : d.sentences()) {
                tags.addAll(s.tags());
            }
        }
        List<String> out = new ArrayList<>(tags);
        out.sort((a, b) -> a.equals(b) ? 0 : a.equals("O") ? -1 : b.equals("O") ? 1
                : type(a).equals(type(b)) ? order(a) - order(b) : type(a).compareTo(type(b)));
        return out;
    }

    private static int order(String tag) {
        return "BIESLU".indexOf(tag.charAt(0));
    }

    private static String type(String tag) {
        int dash = tag.indexOf('-');
        return dash < 0 ? tag : tag.substring(dash + 1);
    }

    /**
     * The scheme these tags are in: BIOES/BILOU when {@code E-}/{@code S-} ({@code L-}/{@code U-}) occur, IOB1 when
     * an entity starts with {@code I-}, else IOB2. Every tag is checked against it.
     */
    public static Scheme detect(List<TaggedData> files) {
        boolean es = false;
        boolean lu = false;
        boolean iStarts = false;
        for (TaggedData d : files) {
            for (Sentence s : d.sentences()) {
                String prev = "O";
                for (String t : s.tags()) {
                    char p = t.charAt(0);
                    es |= p == 'E' || p == 'S';
                    lu |= p == 'L' || p == 'U';
                    iStarts |= p == 'I' && (prev.equals("O") || !type(prev).equals(type(t)));
                    prev = t;
                }
            }
        }
        Scheme scheme = lu ? Scheme.BILOU : es ? Scheme.BIOES : iStarts ? Scheme.IOB1 : Scheme.IOB2;
        for (TaggedData d : files) {
            d.check(scheme, null);
        }
        return scheme;
    }

    /**
     * Checks every tag: {@code O} or a prefix of {@code scheme} with a dash and a type, and, when {@code labels}
     * is given, one of them; {@code file:line} of the word otherwise.
     */
    public void check(Scheme scheme, List<String> labels) {
        for (Sentence s : sentences) {
            for (int i = 0; i < s.tags().size(); i++) {
                String t = s.tags().get(i);
                boolean wellFormed = t.equals("O") || t.length() > 2 && t.charAt(1) == '-'
                        && scheme.prefixes().indexOf(t.charAt(0)) >= 0 && t.charAt(0) != 'O';
                boolean json = file.toLowerCase(Locale.ROOT).matches(".*\\.jsonl?$");
                String where = file + ":" + (s.line() + (json ? 0 : i)) + ": ";
                if (!wellFormed) {
                    throw new UserError(where + "tag '" + cut(t) + "' is not " + scheme + " (O, or "
                            + String.join("-TYPE, ", scheme.prefixes().replace("O", "").split("")) + "-TYPE);"
                            + " set tag-scheme: to the file's scheme");
                }
                if (labels != null && !labels.contains(t)) {
                    throw new UserError(where + "tag '" + cut(t) + "' is not one of the labels " + cut(labels.toString()));
                }
            }
        }
    }

    /**
     * This data with every tag that is not one of {@code labels} read as {@code O} (the task's
     * {@code unknown-tags: O}); {@code warn} gets one line naming the first such tag's file:line and how many there
     * were, when there were any. Tags are checked against the scheme first, so a malformed one is still an error.
     */
    public TaggedData unknownAsO(Scheme scheme, List<String> labels, java.util.function.Consumer<String> warn) {
        check(scheme, null);
        List<Sentence> out = new java.util.ArrayList<>(sentences.size());
        long unknown = 0;
        String first = null;
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        boolean json = file.toLowerCase(Locale.ROOT).matches(".*\\.jsonl?$");
        for (Sentence s : sentences) {
            List<String> tags = new java.util.ArrayList<>(s.tags());
            for (int i = 0; i < tags.size(); i++) {
                if (!labels.contains(tags.get(i))) {
                    if (first == null) {
                        first = file + ":" + (s.line() + (json ? 0 : i)) + ": tag '" + cut(tags.get(i)) + "'";
                    }
                    kinds.add(tags.get(i));
                    unknown++;
                    tags.set(i, "O");
                }
            }
            out.add(new Sentence(s.line(), s.words(), tags));
        }
        if (unknown > 0) {
            warn.accept("warning: " + first + " is not one of the labels; " + unknown + " word" + (unknown == 1 ? "" : "s")
                    + " with " + kinds.size() + " unknown tag" + (kinds.size() == 1 ? "" : "s") + " " + cut(kinds.toString())
                    + " read as O (unknown-tags: O)");
        }
        return new TaggedData(file, out);
    }

    /**
     * This data split in two: {@code share} of the sentences (at least one), drawn with {@code seed}, held out and
     * named {@code file (KEY share)}, the rest kept in file order; the held-out part in file order too.
     */
    public TaggedData[] split(double share, long seed, String key) {
        List<Integer> order = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, sentences.size()).boxed()
                .toList());
        java.util.Collections.shuffle(order, new java.util.Random(seed));
        int held = (int) Math.max(1, Math.round(sentences.size() * share));
        if (held >= sentences.size()) {
            throw new UserError(file + ": " + key + " " + share + " of " + sentences.size() + " sentences leaves none"
                    + " to train on");
        }
        boolean[] out = new boolean[sentences.size()];
        for (int k = 0; k < held; k++) {
            out[order.get(k)] = true;
        }
        List<Sentence> rest = new java.util.ArrayList<>();
        List<Sentence> part = new java.util.ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) {
            (out[i] ? part : rest).add(sentences.get(i));
        }
        return new TaggedData[] {new TaggedData(file, rest), new TaggedData(file + " (" + key + " " + share + ")", part)};
    }

    /** Counts of each tag, in label order. */
    public Map<String, Long> counts() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Sentence s : sentences) {
            for (String t : s.tags()) {
                m.merge(t, 1L, Long::sum);
            }
        }
        return m;
    }

    private static String cut(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
