package bertft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import bertft.Tiny;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.Batch;
import bertft.text.BertTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** distill-hidden's loss: which teacher layer each student layer learns, zero for an exact copy, the projection. */
class HiddenMatchTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    private static final List<String> TEXTS = List.of("the phone was great", "awful price and bad battery",
            "good", "i would never recommend this product again");

    /** The weighted hidden-state loss of {@code student} against {@code teacher} on the texts. */
    static double loss(Checkpoint teacher, TaskModel student, int[] mapping, int width, double weight) {
        try (BertTokenizer tok = Tiny.tokenizer(32); NDManager m = Torch.newManager();
                HiddenMatch h = new HiddenMatch(TaskModel.load(teacher, TaskModel.Head.CLASSIFIER, "teacher"),
                        mapping, width, 32, weight, 0.02, 1, m)) {
            Batch b = Batch.of(TEXTS.stream().map(tok::encode).toList(), m);
            List<NDArray> layers = new ArrayList<>();
            student.encode(b, false, layers);
            assertEquals(student.encoder().config().numHiddenLayers(), layers.size());
            assertEquals(width == 32 ? 0 : 2, h.params().size(), "a projection only when the widths differ");
            return h.loss(layers, b, m).getFloat();
        }
    }

    @Test
    void studentLayersLearnFromTheKeptOrEvenlySpacedTeacherLayers() {
        assertArrayEquals(new int[] {0, 3, 5}, HiddenMatch.mapping(3, 6, null), "as --student-layers 3 keeps them");
        assertArrayEquals(new int[] {5}, HiddenMatch.mapping(1, 6, null));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, HiddenMatch.mapping(6, 6, null));
        assertArrayEquals(new int[] {0, 2, 4}, HiddenMatch.mapping(3, 6, new int[] {0, 2, 4}), "a listed copy");
    }

    @Test
    void theLossIsZeroForAnExactCopyAndPositiveOtherwise(@TempDir Path tmp) {
        Checkpoint c = Checkpoint.read(Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive"));
        Checkpoint other = Checkpoint.read(Tiny.classifier(tmp.resolve("other"), 5, "negative", "positive"));
        Checkpoint teacher = c;
        try (TaskModel copy = TaskModel.load(c, TaskModel.Head.CLASSIFIER, "copy");
                TaskModel first = TaskModel.load(c.keepLayers(new int[] {0}), TaskModel.Head.CLASSIFIER, "first");
                TaskModel last = TaskModel.load(c.keepLayers(new int[] {1}), TaskModel.Head.CLASSIFIER, "last");
                TaskModel stranger = TaskModel.load(other, TaskModel.Head.CLASSIFIER, "other")) {
            assertEquals(0, loss(teacher, copy, new int[] {0, 1}, 32, 1), 1e-9, "the teacher's exact copy");
            assertEquals(0, loss(teacher, first, new int[] {0}, 32, 1), 1e-9, "a copy of its first layer, matched to it");
            double shifted = loss(teacher, last, new int[] {1}, 32, 1);
            assertTrue(shifted > 1e-6, "layer 1 alone sees other inputs: " + shifted);
            double s = loss(teacher, stranger, new int[] {0, 1}, 32, 1);
            assertTrue(s > 1e-3, "another model: " + s);
            assertEquals(2.5 * s, loss(teacher, stranger, new int[] {0, 1}, 32, 2.5), 1e-5 * s, "the weight scales it");
        }
    }

    @Test
    void aNarrowerStudentIsProjectedToTheTeachersWidth(@TempDir Path tmp) {
        Checkpoint c = Checkpoint.read(Tiny.classifier(tmp.resolve("teacher"), 4, "negative", "positive"));
        BertConfig narrow = BertConfig.of(Tiny.vocab().size(), 16, 1, 2, 32, 64);
        Checkpoint teacher = c;
        try (Bert bert = Bert.random(narrow, true, 9);
                TaskModel student = TaskModel.create(new Checkpoint(narrow, bert.tensors(), Map.of()),
                        TaskModel.Head.CLASSIFIER, 2, TaskModel.Pooling.MEAN, 0, 9, "narrow", false)) {
            double v = loss(teacher, student, HiddenMatch.mapping(1, 2, null), 16, 1);
            assertTrue(Double.isFinite(v) && v > 0, "MSE through the (32 x 16) projection: " + v);
        }
    }
}
