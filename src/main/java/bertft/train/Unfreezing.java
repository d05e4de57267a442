package bertft.train;

/**
 * How deep below the head parameters train at each optimizer step (depth 0 = head, L + 1 = embeddings).
 *
 * @param depth the fixed trainable depth (frozen: 0, top-k: k, full: everything), used when {@code every} is 0
 * @param every gradual unfreezing: one more depth every this many steps, starting from the head alone
 */
public record Unfreezing(int depth, long every) {

    public static Unfreezing all() {
        return new Unfreezing(Integer.MAX_VALUE, 0);
    }

    public int trainableDepth(long step, int maxDepth) {
        if (every > 0) {
            return (int) Math.min(maxDepth, step / every);
        }
        return Math.min(depth, maxDepth);
    }
}
