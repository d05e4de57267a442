package bertft.run;

import ai.djl.huggingface.tokenizers.Encoding;
import bertft.data.Example;
import bertft.data.Features;
import bertft.data.LabelledData;
import bertft.model.Objective;
import bertft.task.TaskSpec;
import bertft.text.BertTokenizer;
import java.util.ArrayList;
import java.util.List;

/** Labelled rows turned into trainer features for a classification-style task. */
public final class TaskData {
    private TaskData() {}

    public static Objective objective(TaskSpec.Kind kind) {
        return switch (kind) {
            case MULTILABEL -> Objective.MULTI_LABEL;
            case REGRESSION -> Objective.REGRESSION;
            case QA -> Objective.SPAN;
            default -> Objective.SINGLE_LABEL;
        };
    }

    /** Head outputs: one per label, or 1 for regression. */
    public static int outputs(TaskSpec.Kind kind, List<String> labels) {
        return kind == TaskSpec.Kind.REGRESSION ? 1 : labels.size();
    }

    public static Encoding encode(BertTokenizer tok, Example e) {
        return e.textPair() == null ? tok.encode(e.text()) : tok.encode(e.text(), e.textPair());
    }

    public static Features features(LabelledData data, BertTokenizer tok) {
        List<Encoding> enc = new ArrayList<>(data.size());
        List<float[]> targets = new ArrayList<>(data.size());
        int k = data.labels().size();
        for (Example e : data.examples()) {
            enc.add(encode(tok, e));
            targets.add(switch (data.examples().isEmpty() ? TaskSpec.Kind.CLASSIFICATION : kindOf(e)) {
                case MULTILABEL -> {
                    float[] hot = new float[k];
                    for (int id : e.labels()) {
                        hot[id] = 1;
                    }
                    yield hot;
                }
                case REGRESSION -> new float[] {(float) e.value()};
                default -> new float[] {e.label()};
            });
        }
        return new Features(enc, targets);
    }

    private static TaskSpec.Kind kindOf(Example e) {
        if (e.labels() != null) {
            return TaskSpec.Kind.MULTILABEL;
        }
        return e.label() >= 0 ? TaskSpec.Kind.CLASSIFICATION : TaskSpec.Kind.REGRESSION;
    }
}
