package bertft.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import bertft.UserError;
import bertft.model.Torch;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph in an ONNX Runtime session (CPU, {@link Torch#threads()} intra-op threads, all graph optimisations),
 * fed as bert-ft feeds its own models: {@code input_ids}, {@code attention_mask} and, when the graph has it,
 * {@code token_type_ids}, int64 (B, T), padded to the longest encoding with id 0 and mask 0.
 */
public final class OnnxModel implements AutoCloseable {
    private static final List<String> INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");

    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final boolean tokenTypes;

    private OnnxModel(Path file, OrtEnvironment env, OrtSession session, boolean tokenTypes) {
        this.file = file;
        this.env = env;
        this.session = session;
        this.tokenTypes = tokenTypes;
    }

    /**
     * How every session runs: {@code --threads} intra-op threads, no inter-op pool, and worker threads that sleep
     * between parallel sections rather than spin, as libtorch's do ({@code Torch}): spinning threads took the CPU
     * from the server's HTTP threads and its clients, and `serve` on ONNX answered 8 clients at 0.34x `classify`'s
     * throughput (docs/serve.md).
     */
    static OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(Torch.threads());
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // a failing kernel would log its node and source line on stderr; the failure is reported as one line
            options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /**
     * Opens a .onnx file; a file ONNX Runtime cannot load, an input bert-ft does not feed, or a missing one of
     * {@code outputs} is a one-line error naming the file.
     */
    public static OnnxModel open(Path file, List<String> outputs) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": no such ONNX model file");
        }
        try {
            if (Files.size(file) == 0) {
                throw new UserError(file + ": is empty, not an ONNX model; export the model again with `bert-ft export`");
            }
        } catch (java.io.IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment(); // one per process; its log level cannot change later
        OrtSession session;
        try (OrtSession.SessionOptions options = sessionOptions()) {
            session = env.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new UserError(file + ": ONNX Runtime cannot load it: " + reason(e, file) + "; export the model"
                    + " again with `bert-ft export`", e);
        }
        try {
            Set<String> in = session.getInputNames();
            for (String name : in) {
                if (!INPUTS.contains(name)) {
                    throw new UserError(file + ": input '" + name + "' is not one bert-ft feeds (" + INPUTS + "); export"
                            + " the model with `bert-ft export`");
                }
            }
            for (String name : INPUTS.subList(0, 2)) {
                if (!in.contains(name)) {
                    throw new UserError(file + ": has no input '" + name + "' (inputs: " + in + "); bert-ft feeds "
                            + INPUTS);
                }
            }
            for (String name : outputs) {
                if (!session.getOutputNames().contains(name)) {
                    throw new UserError(file + ": has no output '" + name + "' (outputs: " + session.getOutputNames()
                            + ")");
                }
            }
            return new OnnxModel(file, env, session, in.contains("token_type_ids"));
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    /**
     * ONNX Runtime's message in words: without its error code, the node's name, the file's path, or the C++ source
     * line and signature it prefixes some messages with ({@code /onnxruntime_src/...cc:165 onnxruntime::Model::Model(
     * ...)}).
     */
    static String reason(OrtException e, Path file) {
        String s = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        s = s.replaceFirst("^Error code - \\w+ - message: ", "");
        int status = s.indexOf("Status Message: ");
        if (status >= 0) {
            s = s.substring(status + "Status Message: ".length());
        }
        s = s.replaceFirst("^Load model from .* failed:", "");
        s = s.replaceAll("\\S+\\.(?:cc|cpp|h):\\d+ [^ (]*\\([^)]*\\)\\s*", "");
        s = s.replace(file.toAbsolutePath().toString(), file.getFileName().toString());
        s = s.replaceAll("Name:'[^']*'\\s*", "").strip().replaceFirst("\\.$", "");
        return s.isEmpty() ? "no reason given" : s;
    }

    public Path file() {
        return file;
    }

    /** {@code ONNX Runtime 1.21.1}. */
    public String runtime() {
        return "ONNX Runtime " + env.getVersion();
    }

    /** The graph's output names, in order. */
    public Set<String> outputs() {
        return session.getOutputNames();
    }

    /** The fixed size of an output's last dimension (labels of {@code logits}), or -1 where it is dynamic. */
    public long lastDim(String output) {
        try {
            NodeInfo info = session.getOutputInfo().get(output);
            long[] shape = ((TensorInfo) info.getInfo()).getShape();
            return shape[shape.length - 1];
        } catch (OrtException | ClassCastException e) {
            return -1;
        }
    }

    /** Runs one batch and returns the named outputs as flat float arrays. */
    public Map<String, float[]> run(List<Encoding> batch, List<String> outputs) {
        int b = batch.size();
        int t = batch.stream().mapToInt(e -> e.getIds().length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] types = new long[b * t];
        long[] mask = new long[b * t];
        for (int i = 0; i < b; i++) {
            Encoding e = batch.get(i);
            long[] eIds = e.getIds();
            System.arraycopy(eIds, 0, ids, i * t, eIds.length);
            System.arraycopy(e.getTypeIds(), 0, types, i * t, eIds.length);
            java.util.Arrays.fill(mask, i * t, i * t + eIds.length, 1L);
        }
        return run(ids, types, mask, b, t, outputs);
    }

    /** Runs (B, T) padded ids, token types and mask, row-major; returns the named outputs as flat float arrays. */
    public Map<String, float[]> run(long[] ids, long[] types, long[] mask, int b, int t, List<String> outputs) {
        long[] shape = {b, t};
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (tokenTypes) {
                in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result r = session.run(in, Set.copyOf(outputs))) {
                Map<String, float[]> out = new HashMap<>();
                for (String name : outputs) {
                    OnnxValue v = r.get(name).orElseThrow();
                    FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
                    float[] f = new float[fb.remaining()];
                    fb.get(f);
                    out.put(name, f);
                }
                return out;
            }
        } catch (OrtException e) {
            throw new OnnxModelError(file.getFileName() + ": ONNX Runtime failed on this input: " + reason(e, file)
                    + " (the model does not fit its tokenizer or config.json; export it again with `bert-ft export`)", e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** Classifier logits (B, C). */
    public float[] logits(List<Encoding> batch) {
        return run(batch, List.of("logits")).get("logits");
    }

    /** QA logits as (B, T, 2), interleaved from {@code start_logits} and {@code end_logits} (B, T). */
    public float[] spanLogits(List<Encoding> batch) {
        Map<String, float[]> r = run(batch, List.of("start_logits", "end_logits"));
        float[] start = r.get("start_logits");
        float[] end = r.get("end_logits");
        float[] out = new float[start.length * 2];
        for (int i = 0; i < start.length; i++) {
            out[2 * i] = start[i];
            out[2 * i + 1] = end[i];
        }
        return out;
    }

    /** {@code sentence_embedding} (B, H): mean-pooled, L2-normalised. */
    public float[] embeddings(List<Encoding> batch) {
        return run(batch, List.of("sentence_embedding")).get("sentence_embedding");
    }

    /** Inputs the graph takes, in bert-ft's order. */
    public List<String> inputs() {
        List<String> out = new ArrayList<>();
        for (String name : INPUTS) {
            if (session.getInputNames().contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** Closes the session once; a second close does nothing, as closing a libtorch model twice does. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(session);
        }
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException e) {
            // nothing left to do with a session that cannot close
        }
    }
}
