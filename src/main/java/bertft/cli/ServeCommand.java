package bertft.cli;

import bertft.api.ModelOptions;
import bertft.model.ModelStore;
import bertft.model.Torch;
import bertft.serve.Server;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code bert-ft serve}: a model over HTTP, with TEI's routes and dynamic batching. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over HTTP JSON with the routes of HuggingFace's text-embeddings-inference:",
            "POST /predict (classifiers), POST /embed (any model), POST /qa (QA models), POST /tag (token"
                    + " classifiers), GET /health, /info, /metrics.",
            "Concurrent requests are batched together. Stops gracefully on SIGTERM or Ctrl-C."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A run or checkpoint directory,"
            + " ONNX export, bundled model (" + ModelStore.DEFAULT + ") or Hub id (org/name[@revision]).")
    String model;

    final java.util.Map<String, String> adapters = new java.util.LinkedHashMap<>();

    @Option(names = "--adapter", paramLabel = "NAME=DIR", description = "Serve a LoRA/IA3 adapter (a directory made by"
            + " a lora/ia3 run or by Python's PEFT, or a Hub id) on the base --model as NAME; repeat for more. The base"
            + " is loaded once; a request picks its adapter by \"adapter\": \"NAME\" in its body or POST"
            + " /adapters/NAME/predict.")
    void adapter(java.util.List<String> values) {
        adapters.clear();
        for (String v : values) {
            int eq = v.indexOf('=');
            String name = eq < 0 ? "" : v.substring(0, eq).strip();
            String dir = eq < 0 ? "" : v.substring(eq + 1).strip();
            if (name.isEmpty() || dir.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--adapter " + v + ": expected NAME=DIR, e.g. --adapter"
                        + " sst2=runs/sst2-lora");
            }
            if (adapters.put(name, dir) != null) {
                throw new ParameterException(spec.commandLine(), "--adapter " + v + ": the name " + name + " is given"
                        + " twice; give each adapter its own name");
            }
        }
    }

    String host;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE},"
            + " this machine only; 0.0.0.0 for every interface).")
    void host(String value) {
        if (value.isBlank()) { // it would bind the loopback address and print http://:PORT
            throw new ParameterException(spec.commandLine(), "--host '': empty; use an address such as 127.0.0.1 (this"
                    + " machine only) or 0.0.0.0 (every interface)");
        }
        host = value.strip();
    }

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", converter = Port.class, description = "Port (default:"
            + " ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--max-batch-size", paramLabel = "N", defaultValue = "32", converter = Ints.Positive.class, description = "Inputs per"
            + " model call at most (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--max-wait-ms", paramLabel = "MS", defaultValue = "5", converter = NonNegative.class, description = "How long a batch"
            + " waits for more requests after its first (default: ${DEFAULT-VALUE}).")
    int maxWaitMs;

    @Option(names = "--max-body", defaultValue = "1MiB", converter = Bytes.class, paramLabel = "SIZE", description =
            "Largest request body, e.g. 1048576, 512KiB, 1MiB; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    long maxBody;

    @Option(names = "--max-inputs", paramLabel = "N", defaultValue = "32", converter = Ints.Positive.class, description = "Inputs per"
            + " request at most; more get 413 (default: ${DEFAULT-VALUE}).")
    int maxInputs;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "512", converter = Ints.Positive.class, description = "Connections"
            + " open at once at most; more are answered 503 at once (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        // --threads N runs N model calls at once, each on one thread, rather than one call on N threads: a dynamic
        // batch of a few sentences keeps a second thread busy for only part of a call, and with 8 clients, ONNX
        // Runtime and 2 threads the server spent 6.3-7.3 ms CPU a sentence against 5.2-5.6 (docs/serve.md). The
        // engine starts with the model, below, so it starts with one thread per call.
        int calls = Torch.threads();
        String threads = System.getProperty(Torch.THREADS_PROPERTY);
        System.setProperty(Torch.THREADS_PROPERTY, "1");
        ModelOptions options = ModelOptions.defaults().withRuntime(runtime.value()).withLog(err);
        Server server;
        try {
            server = Server.start(model, adapters, options,
                    new Server.Settings(host, port, maxBatchSize, maxWaitMs, maxBody, maxInputs, maxConnections, calls));
        } catch (RuntimeException | Error e) { // a refused start leaves the process's threads as they were
            if (threads == null) {
                System.clearProperty(Torch.THREADS_PROPERTY);
            } else {
                System.setProperty(Torch.THREADS_PROPERTY, threads);
            }
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("bert-ft: stopping (finishing the requests in flight)");
            err.flush();
            server.close();
            stopped.countDown();
        }, "bert-ft-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("bert-ft: serving " + model + (adapters.isEmpty() ? "" : " with adapters " + String.join(", ",
                adapters.keySet())) + " (" + server.info().task() + ") on " + server.url());
        out.flush();
        stopped.await();
        return 0;
    }

    /** 0 to 65535. */
    static final class Port implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            int v = Ints.parse(text, 0);
            if (v > 65535) {
                throw new TypeConversionException("ports go from 0 to 65535");
            }
            return v;
        }
    }

    /** 0 or more. */
    static final class NonNegative extends Ints.AtLeast {
        NonNegative() {
            super(0);
        }
    }

    /** A byte count, with an optional KiB/MiB (1024) or kB/MB (1000) suffix. */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            var m = java.util.regex.Pattern.compile("(\\d{1,12})\\s*(b|kib|mib|kb|mb)?").matcher(
                    text.strip().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("expected a size such as 1048576, 512KiB or 1MiB");
            }
            long unit = switch (m.group(2) == null ? "b" : m.group(2)) {
                case "kib" -> 1024;
                case "mib" -> 1024 * 1024;
                case "kb" -> 1000;
                case "mb" -> 1000 * 1000;
                default -> 1;
            };
            long v = Long.parseLong(m.group(1)) * unit;
            if (v < 1 || v > Integer.MAX_VALUE - 8) {
                throw new TypeConversionException("must be from 1 byte to 2GiB");
            }
            return v;
        }
    }
}
