package bertft.hub;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model on the Hub: {@code name} or {@code org/name}, optionally {@code @revision} (branch, tag or commit).
 *
 * <p>The grammar is huggingface_hub's repo-id check ({@code [\w.-]}, at most one slash, no {@code --} or
 * {@code ..}, no leading or trailing {@code .}/{@code -}), which also keeps ids safe to use as cache paths.
 */
public record HubId(String repo, String revision) {
    /** The revision when none is given. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern PART = Pattern.compile("[\\w.-]{1,96}");
    private static final Pattern REVISION = Pattern.compile("[\\w.-]+(/[\\w.-]+)*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public HubId {
        if (!valid(repo, revision)) {
            throw new IllegalArgumentException("not a Hub model id: " + repo + "@" + revision);
        }
    }

    /** The id, if {@code text} is one; a caller checks for an existing directory first. */
    public static Optional<HubId> parse(String text) {
        int at = text.indexOf('@');
        String repo = at < 0 ? text : text.substring(0, at);
        String revision = at < 0 ? DEFAULT_REVISION : text.substring(at + 1);
        return valid(repo, revision) ? Optional.of(new HubId(repo, revision)) : Optional.empty();
    }

    private static boolean valid(String repo, String revision) {
        String[] parts = repo.split("/", -1);
        if (parts.length > 2 || revision.contains("..") || !REVISION.matcher(revision).matches()) {
            return false;
        }
        for (String p : parts) {
            if (!PART.matcher(p).matches() || p.contains("--") || p.contains("..") || p.startsWith(".")
                    || p.startsWith("-") || p.endsWith(".") || p.endsWith("-")) {
                return false;
            }
        }
        return true;
    }

    /** True when the revision is a full commit sha, which never moves (no ref is written for it). */
    public boolean pinned() {
        return isCommit(revision);
    }

    public static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    /** The cache folder name: {@code models--org--name}. */
    public String folder() {
        return "models--" + repo.replace("/", "--");
    }

    /** The repo id of a cache folder name, or empty if it is not a model folder. */
    public static Optional<String> repoOfFolder(String folder) {
        if (!folder.startsWith("models--")) {
            return Optional.empty();
        }
        return Optional.of(folder.substring("models--".length()).replace("--", "/"));
    }

    @Override
    public String toString() {
        return revision.equals(DEFAULT_REVISION) ? repo : repo + "@" + revision;
    }
}
