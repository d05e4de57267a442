package bertft.data;

/**
 * One input text (or text pair) and its gold answer, as read from a table row.
 *
 * @param line the 1-based line the row starts on, for messages
 * @param text the text
 * @param textPair the second text of a sentence-pair task, or null
 * @param label the class id (classification, sentiment), or -1
 * @param labels the ids of the gold labels in ascending order (multilabel), or null
 * @param value the target (regression), or NaN
 * @param row the whole row (cells in column order, and the JSON object of JSON lines), for passing columns
 *     through to predictions; may be null for examples not read from a table
 */
public record Example(int line, String text, String textPair, int label, int[] labels, double value,
        TableReader.Row row) {

    /** An example without a gold answer, for prediction. */
    public static Example unlabelled(String text, String textPair, TableReader.Row row) {
        return new Example(row.line(), text, textPair, -1, null, Double.NaN, row);
    }

    /** The multilabel gold answer as k booleans. */
    public boolean[] multiHot(int k) {
        boolean[] hot = new boolean[k];
        for (int id : labels) {
            hot[id] = true;
        }
        return hot;
    }
}
