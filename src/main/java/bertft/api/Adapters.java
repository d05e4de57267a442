package bertft.api;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.UserError;
import bertft.data.Batcher;
import bertft.infer.InferenceRuntime;
import bertft.model.AdapterDir;
import bertft.model.AdapterHook;
import bertft.model.AdapterStack;
import bertft.model.Checkpoint;
import bertft.model.Encoder;
import bertft.model.Finite;
import bertft.model.ModelStore;
import bertft.model.Peft;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.run.TrainedModel;
import bertft.task.TaskSpec;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;

/**
 * One base model and several PEFT adapters on it (LoRA or IA3 directories made by bert-ft or by Python's PEFT, each
 * with its own head and labels): the base's weights are loaded once, and each adapter is applied on its own passes,
 * never merged into them, so an adapter costs its own few hundred kilobytes. A batch that mixes adapters runs the
 * shared encoder once, each row with its own low-rank update. Thread-safe; runs on libtorch.
 *
 * <pre>{@code
 * try (Adapters a = Adapters.load("minilm", ModelOptions.defaults())) {
 *     a.add("sst2", "runs/sst2-lora");
 *     a.add("emotion", "runs/emotion-lora");
 *     Prediction p = a.classifier("sst2").predict("a gripping, funny film");
 *     List<Prediction> mixed = a.predict(List.of("sst2", "emotion"), List.of("a dull film", "what a lovely day"));
 * }
 * }</pre>
 */
public final class Adapters implements AutoCloseable {
    /** What adapter names may hold: they appear in the server's routes ({@code /adapters/NAME/predict}). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /**
     * {@code -Dbertft.adapters.grouped=true}: a mixed batch runs one pass per adapter instead of one pass with each
     * row's own update; scripts/bench-adapters compares the two (docs/serve.md has the figures).
     */
    private static final boolean GROUPED = Boolean.getBoolean("bertft.adapters.grouped");

    /** The adapters loaded so far with their stack; replaced whole when one is added. */
    private record Loaded(List<String> names, List<Classifier> classifiers, AdapterStack stack) {}

    private final String baseName;
    private final Path baseDir;
    private final Checkpoint shapes; // the base's config, heads and pooler: what adapters are checked against
    private final Encoder encoder;
    private final ModelOptions options;
    private final Map<String, BertTokenizer> tokenizers = new java.util.HashMap<>(); // by files and max length
    private final ReadWriteLock lock = new ReentrantReadWriteLock(); // add and close wait for passes in flight
    private Loaded loaded = new Loaded(List.of(), List.of(), null);
    private boolean closed;

    private Adapters(String baseName, Path baseDir, Checkpoint shapes, Encoder encoder, ModelOptions options) {
        this.baseName = baseName;
        this.baseDir = baseDir;
        this.shapes = shapes;
        this.encoder = encoder;
        this.options = options;
    }

    /**
     * Loads the base model {@code base} (a checkpoint directory, bundled alias or Hub id; a task model's head is
     * the default head of adapters that carry none) on libtorch, with the batch size of {@code options}.
     */
    public static Adapters load(String base, ModelOptions options) {
        Inputs.notNull("options", options);
        InferenceRuntime r = options.runtime();
        if (r == InferenceRuntime.ONNX || r == InferenceRuntime.ONNX_INT8) {
            throw new UserError("runtime " + r.spelling() + ": adapters share their base on libtorch only (an ONNX"
                    + " export holds one adapter merged in); use runtime torch, or merge one adapter (`bert-ft merge`)"
                    + " and export it");
        }
        Path dir = ModelStore.resolve(Inputs.model(base));
        if (!Checkpoint.hasWeights(dir) && AdapterDir.is(dir)) {
            throw new UserError(base + ": is an adapter; load its base model and add this as an adapter");
        }
        Checkpoint ckpt = Checkpoint.read(dir);
        Map<String, bertft.checkpoint.TensorData> pooler = new LinkedHashMap<>();
        ckpt.encoder().forEach((k, v) -> {
            if (k.startsWith("pooler.")) {
                pooler.put(k, v);
            }
        });
        Torch.init();
        Encoder encoder = ckpt.config().family().encoder().build(ckpt.config(), ckpt.encoder(), dir.toString());
        return new Adapters(base, dir, new Checkpoint(ckpt.config(), pooler, ckpt.heads()), encoder, options);
    }

    /** Loads {@code base} as {@link #load(String, ModelOptions)} with the default options. */
    public static Adapters load(String base) {
        return load(base, ModelOptions.defaults());
    }

    /**
     * Adds the adapter directory (or Hub id) {@code adapter} as {@code name}: one made for another base (other
     * family or sizes) is refused in one line, as are a name already taken and a non-classification adapter.
     *
     * @return this
     */
    public Adapters add(String name, String adapter) {
        Inputs.notNull("name", name);
        if (!NAME.matcher(name).matches()) {
            throw new UserError("adapter name '" + name + "': use 1 to 64 letters, digits, '.', '_' or '-', starting"
                    + " with a letter or digit");
        }
        Path dir = ModelStore.resolve(Inputs.model(adapter));
        lock.writeLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            if (loaded.names().contains(name)) {
                throw new UserError("adapter name '" + name + "': given twice; give each adapter its own name");
            }
            TrainedModel m = TrainedModel.sharing(dir, shapes, baseDir, encoder, this::tokenizer);
            Classifier c;
            try {
                if (m.kind() == TaskSpec.Kind.QA || m.kind() == TaskSpec.Kind.TOKEN_CLASSIFICATION) {
                    throw new UserError(adapter + ": is a " + m.kind() + " adapter; adapters on a shared base classify"
                            + " (single-label, multi-label, regression)");
                }
                c = Classifier.of(m, name, options);
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
            List<String> names = new ArrayList<>(loaded.names());
            List<Classifier> classifiers = new ArrayList<>(loaded.classifiers());
            names.add(name);
            classifiers.add(c);
            AdapterStack stack;
            try {
                stack = new AdapterStack(classifiers.stream().map(x -> x.model().model().shared()).toList());
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            if (loaded.stack() != null) {
                loaded.stack().close();
            }
            loaded = new Loaded(List.copyOf(names), List.copyOf(classifiers), stack);
            return this;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * A view of the tokenizer in {@code dir} at {@code maxLength}, one per distinct set of files: adapters of one
     * base mostly tokenize as it does, and a tokenizer of a 30k vocabulary is about 9 MB.
     */
    private BertTokenizer tokenizer(Path dir, int maxLength) {
        StringBuilder key = new StringBuilder().append(maxLength);
        for (String f : List.of("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
                "sentencepiece.bpe.model", "spm.model", "merges.txt", "vocab.json")) {
            Path p = dir.resolve(f);
            try {
                key.append(' ').append(f).append(java.nio.file.Files.exists(p) ? java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(p)))
                        : "-");
            } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
                key.append(' ').append(dir.toAbsolutePath()); // unreadable here: loading says why, unshared
            }
        }
        return tokenizers.computeIfAbsent(key.toString(), k -> BertTokenizer.load(dir, maxLength,
                shapes.config().vocabSize())).view();
    }

    /** Adds a local adapter directory, as {@link #add(String, String)}. */
    public Adapters add(String name, Path adapter) {
        return add(name, Inputs.notNull("adapter", adapter).toString());
    }

    /** The adapters' names, in the order they were added. */
    public List<String> names() {
        lock.readLock().lock();
        try {
            return loaded.names();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The base model as it was named. */
    public String base() {
        return baseName;
    }

    /**
     * Adapter {@code name} as a classifier (its labels, task and runtime in {@link Classifier#info()}); it stays
     * open until these adapters close (closing it frees that adapter: later calls to it fail).
     *
     * @throws UserError when no adapter has that name (the message lists them)
     */
    public Classifier classifier(String name) {
        lock.readLock().lock();
        try {
            return loaded.classifiers().get(index(loaded, name));
        } finally {
            lock.readLock().unlock();
        }
    }

    private static int index(Loaded l, String name) {
        int i = l.names().indexOf(Inputs.notNull("adapter", name));
        if (i < 0) {
            throw new UserError("adapter '" + name + "': not loaded; the adapters are " + String.join(", ", l.names()));
        }
        return i;
    }

    /** Row {@code i}'s prediction by adapter {@code adapters[i]} for {@code texts[i]}, in input order. */
    public List<Prediction> predict(List<String> adapters, List<String> texts) {
        return predictPairs(adapters, texts, null);
    }

    /**
     * Row {@code i}'s prediction by adapter {@code adapters[i]} for {@code texts[i]} paired with {@code pairs[i]}
     * ({@code pairs} null: single texts), in input order. Rows of different adapters share batches: the base's
     * layers run once per batch, each row with its own adapter, then each row's head.
     */
    public List<Prediction> predictPairs(List<String> adapters, List<String> texts, List<String> pairs) {
        Inputs.notNull("adapters", adapters);
        Inputs.texts("texts", texts);
        if (adapters.size() != texts.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + adapters.size() + " adapters");
        }
        if (pairs != null && Inputs.texts("pairs", pairs).size() != texts.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + pairs.size() + " pairs");
        }
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            Loaded l = loaded;
            int[] which = new int[texts.size()];
            List<Encoding> enc = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                which[i] = index(l, adapters.get(i));
                enc.add(l.classifiers().get(which[i]).encode(texts.get(i), pairs == null ? null : pairs.get(i)));
            }
            float[][] logits = new float[texts.size()][];
            int[] lengths = enc.stream().mapToInt(e -> e.getIds().length).toArray();
            for (int[] idx : Batcher.inference(lengths, options.batchSize())) {
                batch(l, idx, which, enc, logits);
            }
            List<Prediction> out = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                out.add(l.classifiers().get(which[i]).prediction(logits[i]));
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** One batch's logits into {@code out}: the encoder once, rows adapted by their own adapter, then each head. */
    private void batch(Loaded l, int[] idx, int[] which, List<Encoding> enc, float[][] out) {
        List<Encoding> rows = Arrays.stream(idx).mapToObj(enc::get).toList();
        int[] adapterOfRow = Arrays.stream(idx).map(i -> which[i] + 1).toArray(); // the stack's index: 0 is the base
        try (NDManager m = Torch.newManager()) {
            Batch b = Batch.of(rows, m);
            boolean mixed = Arrays.stream(adapterOfRow).distinct().count() > 1;
            NDArray hidden = null; // (B, T, H)
            if (AdapterStack.rowsApply(encoder.config().family()) && !GROUPED || !mixed) {
                AdapterHook hook = l.stack().rows(adapterOfRow, m);
                hidden = Peft.during(hook, () -> encoder.forward(b.inputIds(), b.tokenTypeIds(), b.attentionMask(),
                        false));
            }
            for (int a : Arrays.stream(adapterOfRow).distinct().toArray()) {
                int[] pos = java.util.stream.IntStream.range(0, idx.length).filter(k -> adapterOfRow[k] == a).toArray();
                TaskModel model = l.classifiers().get(a - 1).model().model();
                float[] logits;
                if (hidden == null) { // a family whose rows cannot differ within a pass: this adapter's rows alone
                    logits = model.forward(Batch.of(Arrays.stream(pos).mapToObj(rows::get).toList(), m)).toFloatArray();
                } else {
                    NDArray h = mixed ? AdapterStack.select(hidden, pos) : hidden; // (B, T, H) -> (rows, T, H)
                    NDArray mask = mixed ? AdapterStack.select(b.attentionMask(), pos) : b.attentionMask();
                    logits = model.head(h, mask, false).toFloatArray(); // (rows, C)
                }
                Finite.requireOutputs(logits, "the model's scores");
                int c = logits.length / pos.length;
                for (int k = 0; k < pos.length; k++) {
                    out[idx[pos[k]]] = Arrays.copyOfRange(logits, k * c, (k + 1) * c);
                }
            }
        }
    }

    /** Frees the base and every adapter (native memory); calls after this fail. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            loaded.classifiers().forEach(Classifier::close);
            tokenizers.values().forEach(BertTokenizer::close);
            if (loaded.stack() != null) {
                loaded.stack().close();
            }
            encoder.close();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
