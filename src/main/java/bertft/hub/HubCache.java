package bertft.hub;

import bertft.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * HuggingFace's cache layout, read and written exactly as huggingface_hub does, so either side reuses the other's
 * downloads.
 *
 * <pre>
 * models--org--name/
 *   blobs/&lt;etag&gt;                     file contents, named by ETag (sha256 for LFS files, git sha1 otherwise)
 *   blobs/&lt;etag&gt;.incomplete          a download in progress (resumed with a Range request)
 *   snapshots/&lt;commit&gt;/&lt;file&gt;       relative symlink ../../blobs/&lt;etag&gt;
 *   refs/&lt;revision&gt;                  the commit a branch or tag pointed to (no newline)
 *   .no_exist/&lt;commit&gt;/&lt;file&gt;       empty marker: the file does not exist at that commit
 * .locks/models--org--name/&lt;etag&gt;.lock
 * </pre>
 */
public final class HubCache {
    /** ETags, commits and file path segments that are safe as path names under the cache. */
    private static final Pattern NAME = Pattern.compile("[\\w.-]+");

    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path repo(HubId id) {
        return root.resolve(id.folder());
    }

    public Path blob(HubId id, String etag) {
        return repo(id).resolve("blobs").resolve(checkName(etag, "ETag"));
    }

    public Path incomplete(HubId id, String etag) {
        return repo(id).resolve("blobs").resolve(checkName(etag, "ETag") + ".incomplete");
    }

    public Path lock(HubId id, String etag) {
        return root.resolve(".locks").resolve(id.folder()).resolve(checkName(etag, "ETag") + ".lock");
    }

    public Path snapshot(HubId id, String commit) {
        return repo(id).resolve("snapshots").resolve(checkName(commit, "commit"));
    }

    /** The commit a revision points to in the cache: the revision itself if it is a commit, else its ref. */
    public Optional<String> commit(HubId id) {
        if (id.pinned()) {
            return Optional.of(id.revision());
        }
        Path ref = repo(id).resolve("refs").resolve(id.revision());
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return commit.isEmpty() ? Optional.empty() : Optional.of(checkName(commit, ref.toString()));
        } catch (IOException e) {
            throw new UserError(ref + ": cannot read: " + e.getMessage());
        }
    }

    /** Records where a branch or tag points (nothing for a commit), atomically. */
    public void writeRef(HubId id, String commit) {
        if (id.pinned() || commit(id).filter(commit::equals).isPresent()) {
            return;
        }
        Path ref = repo(id).resolve("refs").resolve(id.revision());
        try {
            Files.createDirectories(ref.getParent());
            Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            move(tmp, ref);
        } catch (IOException e) {
            throw Failures.io(e, ref, "cannot write the ref");
        }
    }

    /** The snapshot file, if the cache has it (a link whose blob is gone does not count). */
    public Optional<Path> file(HubId id, String commit, String file) {
        Path p = snapshot(id, commit).resolve(checkFile(file));
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Links {@code snapshots/<commit>/<file>} to its blob, replacing an older link atomically. */
    public Path link(HubId id, String commit, String file, String etag) {
        Path link = snapshot(id, commit).resolve(checkFile(file));
        Path blob = blob(id, etag);
        Path target = link.getParent().relativize(blob);
        try {
            Files.createDirectories(link.getParent());
            if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) {
                return link;
            }
            Path tmp = link.resolveSibling("." + link.getFileName() + "." + ProcessHandle.current().pid() + "."
                    + Thread.currentThread().getId() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createSymbolicLink(tmp, target);
            } catch (UnsupportedOperationException | IOException e) {
                // no symlinks on this file system: huggingface_hub then copies the blob too
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            move(tmp, link);
            return link;
        } catch (IOException e) {
            throw Failures.io(e, link, "cannot link the snapshot file");
        }
    }

    /** True when huggingface_hub or bert-ft recorded that the file does not exist at this commit. */
    public boolean knownMissing(HubId id, String commit, String file) {
        return Files.exists(repo(id).resolve(".no_exist").resolve(checkName(commit, "commit")).resolve(checkFile(file)),
                LinkOption.NOFOLLOW_LINKS);
    }

    /** Records that the file does not exist at this commit (an empty marker, as huggingface_hub writes). */
    public void markMissing(HubId id, String commit, String file) {
        Path marker = repo(id).resolve(".no_exist").resolve(checkName(commit, "commit")).resolve(checkFile(file));
        try {
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(marker);
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // another process wrote it
        } catch (IOException e) {
            throw Failures.io(e, marker, "cannot write the marker");
        }
    }

    /** One model in the cache: its refs (revision -> commit), snapshots and blob bytes. */
    public record Entry(String repo, Map<String, String> refs, List<String> snapshots, long bytes) {}

    /** The models in the cache, by repo id. */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> repos = Files.list(root)) {
            for (Path dir : repos.sorted().toList()) {
                Optional<String> repo = HubId.repoOfFolder(dir.getFileName().toString());
                if (repo.isEmpty() || !Files.isDirectory(dir)) {
                    continue;
                }
                out.add(new Entry(repo.get(), refs(dir.resolve("refs")), names(dir.resolve("snapshots")),
                        bytes(dir.resolve("blobs"))));
            }
        } catch (IOException e) {
            throw new UserError(root + ": cannot list the HuggingFace cache: " + e.getMessage());
        }
        return out;
    }

    private static Map<String, String> refs(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString().replace('\\', '/'),
                        Files.readString(p, StandardCharsets.UTF_8).strip());
            }
        }
        return out;
    }

    private static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long bytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            long sum = 0;
            for (Path p : s.filter(p -> !p.getFileName().toString().endsWith(".incomplete")).toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }

    /** Renames into place atomically (falls back to a plain replace where the file system cannot). */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A server-given name (ETag, commit) that must not escape its directory. */
    static String checkName(String name, String what) {
        if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new UserError("the Hub sent an unusable " + what + ": '" + name + "'");
        }
        return name;
    }

    /** A repo file path ({@code model-00001-of-00002.safetensors}, {@code onnx/model.onnx}) that stays inside. */
    static String checkFile(String file) {
        for (String part : file.split("/", -1)) {
            checkName(part, "file name '" + file + "'");
        }
        return file;
    }
}
