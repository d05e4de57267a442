package bertft.qa;

import bertft.data.Batcher;
import bertft.data.Features;
import bertft.data.SquadData;
import bertft.infer.Forward;
import bertft.model.Finite;
import bertft.model.TaskModel;
import bertft.text.BertTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Answers questions with a QA model: windows, batched logits, then {@link QaPostprocess} per question. */
public final class QaAnswerer {
    /** Window and answer settings (the task keys of the same names). */
    public record Settings(int maxLength, int docStride, int maxQueryLength, int nBest, int maxAnswerLength,
            boolean version2, double nullThreshold, int batchSize) {}

    private final Forward forward;
    private final BertTokenizer tokenizer;
    private final Settings s;

    public QaAnswerer(TaskModel model, BertTokenizer tokenizer, Settings settings) {
        this(Forward.of(model), tokenizer, settings);
    }

    /** An answerer over any runtime's forward pass (libtorch or ONNX Runtime). */
    public QaAnswerer(Forward forward, BertTokenizer tokenizer, Settings settings) {
        this.forward = forward;
        this.tokenizer = tokenizer;
        this.s = settings;
    }

    /** One prediction per question, in order. */
    public List<QaPostprocess.Prediction> answer(List<SquadData.Question> questions) {
        List<QaFeatures.Window> windows = QaFeatures.build(questions, tokenizer, s.maxLength(), s.docStride(),
                s.maxQueryLength());
        Features f = QaFeatures.features(windows);
        // each window's (T, 2) start/end logits, T its batch's padded length
        float[][] rows = Batcher.rowsInOrder(f.lengths(), s.batchSize(), idx -> {
            float[] flat = forward.logits(Arrays.stream(idx).mapToObj(f.encodings()::get).toList()); // (B, T, 2)
            Finite.requireOutputs(flat, "the model's start/end logits");
            return flat;
        });
        float[][] start = new float[windows.size()][];
        float[][] end = new float[windows.size()][];
        for (int w = 0; w < rows.length; w++) {
            int n = windows.get(w).charStart().length;
            start[w] = new float[n];
            end[w] = new float[n];
            for (int i = 0; i < n; i++) {
                start[w][i] = rows[w][2 * i];
                end[w][i] = rows[w][2 * i + 1];
            }
        }
        List<List<QaPostprocess.WindowLogits>> byQuestion = new ArrayList<>();
        for (int q = 0; q < questions.size(); q++) {
            byQuestion.add(new ArrayList<>());
        }
        for (int i = 0; i < windows.size(); i++) {
            QaFeatures.Window w = windows.get(i);
            byQuestion.get(w.question()).add(new QaPostprocess.WindowLogits(start[i], end[i], w.charStart(), w.charEnd()));
        }
        List<QaPostprocess.Prediction> out = new ArrayList<>(questions.size());
        for (int q = 0; q < questions.size(); q++) {
            out.add(QaPostprocess.predict(questions.get(q).context(), byQuestion.get(q), s.nBest(), s.maxAnswerLength(),
                    s.version2(), s.nullThreshold()));
        }
        return out;
    }
}
