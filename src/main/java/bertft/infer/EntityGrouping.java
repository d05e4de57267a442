package bertft.infer;

import bertft.text.TokenDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Token scores to entities exactly as HuggingFace's {@code TokenClassificationPipeline} (Transformers 4.31,
 * {@code pipelines/token_classification.py}) post-processes them with a fast tokenizer, for each
 * {@code aggregation_strategy}: {@code none} (one entry per word piece), {@code simple} (adjacent pieces of one
 * type grouped, B- starting a new group), and {@code first} / {@code average} / {@code max} (the pieces of one word
 * agree first: the first piece's label, the mean of the scores, or the most confident piece). Pieces labelled
 * {@code O} are left out, as the pipeline's {@code ignore_labels}.
 */
public final class EntityGrouping {
    /** The pipeline's {@code aggregation_strategy}. */
    public enum Aggregation {
        NONE, SIMPLE, FIRST, AVERAGE, MAX;

        /** By its lower-case name, as the pipeline and the CLI spell it. */
        public static Aggregation parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * One word piece of the input (special tokens left out).
     *
     * @param token the piece as the vocabulary spells it ({@code ##ing}); the text itself for an unknown piece
     * @param scores softmax over the labels
     * @param start first code point in the input text
     * @param end one past the last code point
     * @param index its position in the model's input
     * @param subword whether it continues the word of the piece before it
     */
    public record Piece(String token, double[] scores, int start, int end, int index, boolean subword) {}

    /**
     * One entity: for {@code none}, {@code label} is the piece's tag ({@code B-PER}) and {@code index} its position;
     * otherwise {@code label} is the {@code entity_group} and {@code index} is -1.
     */
    public record Entity(String label, double score, String word, int start, int end, int index) {}

    private EntityGrouping() {}

    /**
     * The entities of one input; {@code labels} are id2label in id order; {@code tokensToString} is the
     * tokenizer's {@code convert_tokens_to_string}.
     */
    public static List<Entity> entities(List<Piece> pieces, List<String> labels, Aggregation aggregation,
            Function<List<String>, String> tokensToString) {
        List<Entity> tagged = new ArrayList<>();
        if (aggregation == Aggregation.NONE || aggregation == Aggregation.SIMPLE) {
            for (Piece p : pieces) {
                int best = argmax(p.scores());
                tagged.add(new Entity(labels.get(best), p.scores()[best], p.token(), p.start(), p.end(), p.index()));
            }
        } else {
            tagged = words(pieces, labels, aggregation, tokensToString);
        }
        List<Entity> out = aggregation == Aggregation.NONE ? tagged : group(tagged, tokensToString);
        return out.stream().filter(e -> !e.label().equals("O")).toList();
    }

    /** {@code aggregate_words}: the pieces of each word agree on one label. */
    private static List<Entity> words(List<Piece> pieces, List<String> labels, Aggregation aggregation,
            Function<List<String>, String> tokensToString) {
        List<Entity> out = new ArrayList<>();
        List<Piece> word = new ArrayList<>();
        for (Piece p : pieces) {
            if (!word.isEmpty() && !p.subword()) {
                out.add(word(word, labels, aggregation, tokensToString));
                word = new ArrayList<>();
            }
            word.add(p);
        }
        if (!word.isEmpty()) {
            out.add(word(word, labels, aggregation, tokensToString));
        }
        return out;
    }

    private static Entity word(List<Piece> word, List<String> labels, Aggregation aggregation,
            Function<List<String>, String> tokensToString) {
        double[] scores = switch (aggregation) {
            case FIRST -> word.get(0).scores();
            // the piece with the highest score of any label (the first such piece on ties, as Python's max)
            case MAX -> word.stream().reduce((a, b) -> max(b.scores()) > max(a.scores()) ? b : a).get().scores();
            case AVERAGE -> mean(word.stream().map(Piece::scores).toList());
            default -> throw new IllegalArgumentException(aggregation + " does not aggregate words");
        };
        int best = argmax(scores);
        String text = tokensToString.apply(word.stream().map(Piece::token).toList());
        return new Entity(labels.get(best), scores[best], text, word.get(0).start(), word.get(word.size() - 1).end(), -1);
    }

    /** {@code group_entities}: adjacent entries of one type form a group unless the next one is a B-. */
    private static List<Entity> group(List<Entity> tagged, Function<List<String>, String> tokensToString) {
        List<Entity> groups = new ArrayList<>();
        List<Entity> current = new ArrayList<>();
        for (Entity e : tagged) {
            if (!current.isEmpty()) {
                String[] tag = tag(e.label());
                String[] last = tag(current.get(current.size() - 1).label());
                if (!(tag[1].equals(last[1]) && !tag[0].equals("B"))) {
                    groups.add(groupOf(current, tokensToString));
                    current = new ArrayList<>();
                }
            }
            current.add(e);
        }
        if (!current.isEmpty()) {
            groups.add(groupOf(current, tokensToString));
        }
        return groups;
    }

    /** {@code group_sub_entities}. */
    private static Entity groupOf(List<Entity> entities, Function<List<String>, String> tokensToString) {
        // the pipeline names the group by what follows the label's last dash: B-creative-work is grouped as
        // creative-work but reported as "work"; kept, so that the same model gives the same answer in both
        String[] parts = entities.get(0).label().split("-");
        String label = parts.length == 0 ? "" : parts[parts.length - 1];
        double score = entities.stream().mapToDouble(Entity::score).filter(s -> !Double.isNaN(s)).average().orElse(Double.NaN);
        String word = tokensToString.apply(entities.stream().map(Entity::word).toList());
        return new Entity(label, score, word, entities.get(0).start(), entities.get(entities.size() - 1).end(), -1);
    }

    /** {@code get_tag}: (B or I, type); a label without B-/I- counts as I- of itself. */
    private static String[] tag(String label) {
        if (label.startsWith("B-")) {
            return new String[] {"B", label.substring(2)};
        }
        if (label.startsWith("I-")) {
            return new String[] {"I", label.substring(2)};
        }
        return new String[] {"I", label};
    }

    /**
     * HuggingFace's WordPiece decoder ({@code tokenizers}' {@code decoders.WordPiece} with {@code cleanup}), the
     * fast BERT tokenizer's {@code convert_tokens_to_string}: {@code ##} pieces glued on, spaces between words,
     * then its clean-up of spaces before punctuation and contractions.
     */
    public static String wordPieceText(List<String> tokens) {
        return String.join("", TokenDecoder.wordPiece(tokens, "##", true));
    }

    /**
     * {@code aggregate_overlapping_entities}: the entities of overlapping windows of one text, by start; of those
     * that overlap the one kept so far, the longer wins, then the higher score (the first on ties).
     */
    public static List<Entity> overlapping(List<Entity> entities) {
        if (entities.isEmpty()) {
            return entities;
        }
        List<Entity> sorted = new ArrayList<>(entities);
        sorted.sort(java.util.Comparator.comparingInt(Entity::start)); // stable, as Python's sorted
        List<Entity> out = new ArrayList<>();
        Entity previous = sorted.get(0);
        for (Entity e : sorted) {
            if (previous.start() <= e.start() && e.start() < previous.end()) {
                int length = e.end() - e.start();
                int previousLength = previous.end() - previous.start();
                if (length > previousLength || length == previousLength && e.score() > previous.score()) {
                    previous = e;
                }
            } else {
                out.add(previous);
                previous = e;
            }
        }
        out.add(previous);
        return out;
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static double[] mean(List<double[]> rows) {
        double[] out = new double[rows.get(0).length];
        for (double[] r : rows) {
            for (int i = 0; i < out.length; i++) {
                out[i] += r[i] / rows.size();
            }
        }
        return out;
    }
}
