package bertft.cli;

import bertft.TextFiles;
import bertft.api.Answer;
import bertft.api.ModelOptions;
import bertft.api.QuestionAnswerer;
import bertft.UserError;
import bertft.data.LineReader;
import bertft.run.ModelChoice;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bert-ft qa}: answer questions about a text of any length. */
@Command(name = "qa", mixinStandardHelpOptions = true,
        description = {"Answer questions about a context with an extractive QA model. Contexts longer than one "
                + "window are split with the model's doc stride. Without --question, questions are read from stdin, "
                + "one per line, until end of input."})
final class QaCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = {"A QA run directory, any HuggingFace"
            + " *ForQuestionAnswering checkpoint directory, or Hub id (org/name[@revision]).",
            "Default: the newest finished run in ./runs with a QA head. A Hub model without a task.yaml uses"
            + " HuggingFace's pipeline settings: max length 384 (less where tokenizer_config.json's model_max_length"
            + " or the position embeddings say), question up to 64 tokens, doc stride 128 (both less for short"
            + " windows)."})
    String model;

    @ArgGroup(multiplicity = "1")
    Context context;

    static final class Context {
        @Option(names = "--context", paramLabel = "TEXT", description = "The text to search for answers.")
        String text;

        @Option(names = "--context-file", paramLabel = "FILE", description = "Read the context from a UTF-8 file.")
        Path file;
    }

    @Option(names = "--question", paramLabel = "Q", description = "A question (repeatable).")
    List<String> questions;

    @Option(names = "--top-k", defaultValue = "1", paramLabel = "N", converter = Ints.Positive.class, description = "Answers per question (default: 1).")
    int topK;

    @Option(names = "--json", description = "One JSON object per question; each answer's start and end are "
            + "code-point offsets into the context, as Python's context[start:end] and SQuAD's answer_start count.")
    boolean json;

    @picocli.CommandLine.Mixin
    RuntimeOption runtime;

    @Override
    public Integer call() {
        String ctx = context.text != null ? context.text
                : TextFiles.read(context.file, TextFiles.CONTEXT, "a QA context (split it)");
        if (ctx.isBlank()) {
            throw new UserError((context.file != null ? context.file + ": " : "--context: ") + "the context is empty");
        }
        Texts.requireNonBlank("--question", "question", questions);
        Path model = ModelChoice.resolve(this.model, ModelChoice.Need.QA, spec.commandLine().getErr());
        bertft.run.RunDir.warnIfUnfinished(model, spec.commandLine().getErr());
        ModelOptions options = ModelOptions.defaults().withRuntime(runtime.value()).withLog(spec.commandLine().getErr());
        try (QuestionAnswerer qa = QuestionAnswerer.load(model.toString(), options)) {
            PrintWriter out = spec.commandLine().getOut();
            if (questions != null) {
                for (String q : questions) {
                    print(out, q, qa.answers(q, ctx, topK));
                }
            } else {
                try (LineReader in = LineReader.open("-")) {
                    for (String line = in.next(); line != null; line = in.next()) {
                        if (!line.isBlank()) {
                            print(out, line.strip(), qa.answers(line.strip(), ctx, topK));
                        }
                    }
                }
            }
        }
        return 0;
    }

    private void print(PrintWriter out, String question, List<Answer> spans) {
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("question", question);
            JsonArray answers = new JsonArray();
            for (Answer s : spans) {
                JsonObject a = new JsonObject();
                a.addProperty("answer", s.text());
                a.addProperty("score", s.score());
                a.addProperty("probability", s.probability());
                a.addProperty("start", s.start());
                a.addProperty("end", s.end());
                answers.add(a);
            }
            o.add("answers", answers);
            out.println(o);
        } else {
            out.println("Q: " + question);
            if (spans.isEmpty()) {
                out.println("   (no answer found)");
            }
            for (Answer s : spans) {
                out.printf("   %s   (score %.2f, p %.2f, chars %d-%d)%n", s.text(), s.score(), s.probability(),
                        s.start(), s.end());
            }
        }
        out.flush();
    }
}
