package bertft.task;

/**
 * Training-time token noise: each word-piece is dropped, or replaced by {@code [MASK]}, with these probabilities.
 *
 * @param tokenDropout probability of deleting a token, in [0, 1)
 * @param tokenMask probability of masking a token, in [0, 1)
 */
public record Augment(double tokenDropout, double tokenMask) {
    /** No augmentation. */
    public static final Augment NONE = new Augment(0, 0);
}
