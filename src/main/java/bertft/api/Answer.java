package bertft.api;

/**
 * One answer span of a context.
 *
 * @param text the answer, {@code context.substring} of its code points
 * @param start the first code point of the answer in the context (as Python's {@code context[start:end]} and
 *     SQuAD's {@code answer_start} count)
 * @param end one past the last code point
 * @param score start plus end logit
 * @param probability the span's share of the softmax over the n-best spans
 */
public record Answer(String text, int start, int end, double score, double probability) {}
