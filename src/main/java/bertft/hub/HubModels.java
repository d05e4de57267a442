package bertft.hub;

import bertft.UserError;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The files a BERT checkpoint needs from a Hub repo, in the order bert-ft reads them: {@code config.json}; the
 * tokenizer ({@code tokenizer.json}, else {@code vocab.txt}, else RoBERTa's {@code vocab.json} + {@code merges.txt},
 * else DeBERTa's {@code spm.model} and
 * {@code special_tokens_map.json}; {@code tokenizer_config.json} when present); the
 * weights ({@code model.safetensors}, else {@code model.safetensors.index.json} and its shards, else
 * {@code pytorch_model.bin}, which is read without running pickle code). Online, each comes from the cache when
 * the commit's snapshot has it, else from the Hub; offline, the cache alone must hold them all.
 */
public final class HubModels {
    /** Weight files by preference. */
    public static final List<String> WEIGHTS = List.of("model.safetensors", "model.safetensors.index.json",
            "pytorch_model.bin");

    private final HubSettings settings;
    private final HubCache cache;
    private final HubClient client;

    public HubModels(HubSettings settings) {
        this.settings = settings;
        this.cache = new HubCache(settings.cache());
        this.client = new HubClient(settings);
    }

    /** The snapshot directory of {@code id} with config, tokenizer and weights, downloading what is missing. */
    public Path resolve(HubId id) {
        if (settings.offline()) {
            return cached(id, "offline mode (--offline or HF_HUB_OFFLINE=1) uses the cache only");
        }
        try {
            return download(id);
        } catch (HubClient.Unreachable e) {
            Path snapshot;
            try {
                snapshot = cached(id, "");
            } catch (UserError notCached) {
                throw new UserError("cannot reach " + settings.endpoint() + " (" + e.getMessage() + ") to fetch model '"
                        + id + "': check the network and HF_ENDPOINT; with no network, use --offline (HF_HUB_OFFLINE=1)"
                        + " with a model already in the cache " + settings.cache(), e);
            }
            System.err.println("bert-ft: cannot reach " + settings.endpoint() + "; using the cached snapshot "
                    + snapshot.getFileName() + " of " + id + " (--offline skips this check)");
            return snapshot;
        }
    }

    /** A PEFT adapter repo's files (no config.json: its base, base_model_name_or_path, is resolved apart). */
    static final String ADAPTER_CONFIG = "adapter_config.json";
    static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";

    private Path download(HubId id) {
        HubClient.FileMeta config = client.head(id, id.revision(), "config.json");
        if (!config.exists()) {
            HubClient.FileMeta adapter = client.head(id, id.revision(), ADAPTER_CONFIG);
            if (adapter.exists()) {
                return downloadAdapter(id, adapter);
            }
            throw new UserError("model '" + id.repo() + "' (revision " + id.revision() + ") on " + settings.endpoint()
                    + " has no config.json: not a transformers checkpoint (nor a PEFT adapter: no "
                    + ADAPTER_CONFIG + ")");
        }
        String commit = config.commit();
        cache.writeRef(id, commit);
        Snapshot s = new Snapshot(id, commit);
        s.put(config);
        if (s.fetch("tokenizer.json").isEmpty() && s.fetch("vocab.txt").isEmpty()
                && (s.fetch("vocab.json").isEmpty() || s.fetch("merges.txt").isEmpty())) {
            if (s.fetch("spm.model").isEmpty()) {
                throw new UserError(s.where() + " has no tokenizer: tried tokenizer.json, vocab.txt,"
                        + " vocab.json + merges.txt, spm.model");
            }
            s.fetch("special_tokens_map.json"); // DeBERTa's special tokens, read with spm.model
        }
        s.fetch("tokenizer_config.json");
        if (s.fetch("model.safetensors").isEmpty()) {
            Optional<Path> index = s.fetch("model.safetensors.index.json");
            if (index.isPresent()) {
                for (String shard : shards(index.get())) {
                    if (s.fetch(shard).isEmpty()) {
                        throw new UserError(s.where() + ": shard " + shard + " named in model.safetensors.index.json"
                                + " does not exist");
                    }
                }
            } else if (s.fetch("pytorch_model.bin").isEmpty()) {
                throw new UserError(s.where() + " has no supported weight file: tried " + String.join(", ", WEIGHTS));
            }
        }
        return cache.snapshot(id, commit);
    }

    /**
     * A PEFT adapter repo ({@code save_pretrained} pushed to the Hub): adapter_config.json, adapter_model.safetensors
     * and, where the repo has them, a tokenizer and tokenizer_config.json (else the base's are used).
     */
    private Path downloadAdapter(HubId id, HubClient.FileMeta config) {
        String commit = config.commit();
        cache.writeRef(id, commit);
        Snapshot s = new Snapshot(id, commit);
        s.put(config);
        if (s.fetch(ADAPTER_WEIGHTS).isEmpty()) {
            throw new UserError(s.where() + " has " + ADAPTER_CONFIG + " but no " + ADAPTER_WEIGHTS
                    + " (bert-ft reads PEFT adapters saved with safe_serialization=True)");
        }
        if (s.fetch("tokenizer.json").isEmpty()) {
            s.fetch("vocab.txt");
        }
        s.fetch("tokenizer_config.json");
        return cache.snapshot(id, commit);
    }

    /** One commit of one repo, being filled. */
    private final class Snapshot {
        final HubId id;
        final String commit;

        Snapshot(HubId id, String commit) {
            this.id = id;
            this.commit = commit;
        }

        String where() {
            return "model '" + id.repo() + "' (revision " + id.revision() + ", commit " + commit.substring(0,
                    Math.min(7, commit.length())) + ")";
        }

        /** The file from the snapshot or the Hub, or empty when the repo does not have it. */
        Optional<Path> fetch(String file) {
            Optional<Path> have = cache.file(id, commit, file);
            if (have.isPresent()) {
                return have;
            }
            if (cache.knownMissing(id, commit, file)) {
                return Optional.empty();
            }
            // by commit, not by branch: every file then comes from the same commit even if the branch moves
            HubClient.FileMeta meta = client.head(id, commit, file);
            if (!meta.exists()) {
                cache.markMissing(id, commit, file);
                return Optional.empty();
            }
            return Optional.of(put(meta));
        }

        Path put(HubClient.FileMeta meta) {
            Optional<Path> have = cache.file(id, commit, meta.file());
            if (have.isPresent()) {
                return have.get();
            }
            new BlobDownload(client, cache).fetch(id, meta);
            return cache.link(id, commit, meta.file(), meta.etag());
        }
    }

    /** The snapshot the cache holds for {@code id}, complete, or an error naming what is missing. */
    private Path cached(HubId id, String why) {
        String suffix = why.isEmpty() ? "" : "; " + why;
        String commit = cache.commit(id).orElseThrow(() -> new UserError("model '" + id.repo() + "' (revision "
                + id.revision() + ") is not in the HuggingFace cache " + settings.cache() + " (no "
                + id.folder() + "/refs/" + id.revision() + ")" + suffix));
        Path snapshot = cache.snapshot(id, commit);
        List<String> missing = new ArrayList<>();
        if (cache.file(id, commit, "config.json").isEmpty() && cache.file(id, commit, ADAPTER_CONFIG).isPresent()) {
            if (cache.file(id, commit, ADAPTER_WEIGHTS).isEmpty()) {
                throw new UserError("model '" + id.repo() + "' (revision " + id.revision() + ") is incomplete in the"
                        + " cache " + snapshot + ": missing " + ADAPTER_WEIGHTS + suffix);
            }
            return snapshot; // a PEFT adapter: its base is resolved on its own
        }
        if (cache.file(id, commit, "config.json").isEmpty()) {
            missing.add("config.json");
        }
        if (cache.file(id, commit, "tokenizer.json").isEmpty() && cache.file(id, commit, "vocab.txt").isEmpty()
                && (cache.file(id, commit, "vocab.json").isEmpty() || cache.file(id, commit, "merges.txt").isEmpty())
                && cache.file(id, commit, "spm.model").isEmpty()) {
            missing.add("tokenizer.json, vocab.txt, vocab.json + merges.txt or spm.model");
        }
        Optional<Path> index = cache.file(id, commit, "model.safetensors.index.json");
        if (cache.file(id, commit, "model.safetensors").isPresent()) {
            // complete
        } else if (index.isPresent()) {
            for (String shard : shards(index.get())) {
                if (cache.file(id, commit, shard).isEmpty()) {
                    missing.add(shard);
                }
            }
        } else if (cache.file(id, commit, "pytorch_model.bin").isEmpty()) {
            missing.add("a weight file (" + String.join(", ", WEIGHTS) + ")");
        }
        if (!missing.isEmpty()) {
            throw new UserError("model '" + id.repo() + "' (revision " + id.revision() + ") is incomplete in the cache "
                    + snapshot + ": missing " + String.join(", ", missing) + suffix);
        }
        return snapshot;
    }

    /** The shard files an index names, each checked to stay inside the snapshot. */
    static List<String> shards(Path index) {
        JsonObject o = bertft.TextFiles.readJsonObject(index, bertft.TextFiles.MODEL_FILE, "a safetensors index");
        if (!(o.get("weight_map") instanceof JsonObject map)) {
            throw new UserError(index + ": no \"weight_map\" object (is it a safetensors index?)");
        }
        TreeSet<String> files = new TreeSet<>();
        for (var e : map.entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive()) {
                throw new UserError(index + ": weight_map: " + e.getKey() + " is not a file name");
            }
            files.add(HubCache.checkFile(v.getAsString()));
        }
        return List.copyOf(files);
    }
}
