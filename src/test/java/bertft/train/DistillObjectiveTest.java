package bertft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import bertft.Tiny;
import bertft.data.Features;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.Checkpoint;
import bertft.model.TaskModel;
import bertft.model.Torch;
import bertft.text.BertTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Distillation's loss worked by hand on small cases, and a student that learns a teacher's outputs. */
class DistillObjectiveTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    private static double[] softmax(double... z) {
        double s = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i]);
            s += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= s;
        }
        return p;
    }

    private static double kl(double[] p, double[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += p[i] == 0 ? 0 : p[i] * Math.log(p[i] / q[i]);
        }
        return s;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** The objective with the given targets; the model is not needed for {@code loss(logits, ...)}. */
    private static DistillObjective objective(DistillObjective.Kind kind, List<float[]> hard, int labelled,
            List<float[]> soft, double t, double alpha) {
        return new DistillObjective(null, kind, new Features(List.of(), hard), labelled, soft, t, alpha);
    }

    @Test
    void classesMixTemperatureScaledKlWithCrossEntropyWhereALabelExists() {
        double t = 2;
        double alpha = 0.25;
        float[] teacher = {2, 0};
        // example 0 labelled (class 1), example 1 a transfer text (no label): the same logits for both
        List<float[]> soft = List.of(DistillObjective.soft(DistillObjective.Kind.CLASSES, teacher, 0, 2, t),
                DistillObjective.soft(DistillObjective.Kind.CLASSES, teacher, 0, 2, t));
        double[] p = softmax(1, 0);
        assertEquals(p[0], soft.get(0)[0], 1e-6, "the teacher's softmax at T = 2");
        DistillObjective o = objective(DistillObjective.Kind.CLASSES, List.of(new float[] {1}, new float[] {0}), 1,
                soft, t, alpha);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {0, 1, 0, 1}, new Shape(2, 2));
            double distill = t * t * kl(p, softmax(0, 0.5));
            double hard = -Math.log(softmax(0, 1)[1]);
            double labelledRow = alpha * distill + (1 - alpha) * hard;
            double transferRow = distill; // only the teacher speaks for a text without a label
            double got = o.loss(logits, null, new int[] {0, 1}, m).getFloat();
            assertEquals((labelledRow + transferRow) / 2, got, 1e-5);
            assertEquals(labelledRow, o.loss(logits.get("0:1"), null, new int[] {0}, m).getFloat(), 1e-5);
            // a student that matches the teacher on a transfer text has nothing to learn from it
            NDArray same = m.create(new float[] {2, 0}, new Shape(1, 2));
            assertEquals(0, o.loss(same, null, new int[] {1}, m).getFloat(), 1e-6, "KL of equal distributions is 0");
        }
    }

    @Test
    void multiLabelUsesSigmoidTargetsPerLabel() {
        double t = 3;
        float[] teacher = {1.5f, -2};
        List<float[]> soft = List.of(DistillObjective.soft(DistillObjective.Kind.SIGMOID, teacher, 0, 2, t));
        DistillObjective o = objective(DistillObjective.Kind.SIGMOID, List.of(new float[] {1, 0}), 1, soft, t, 0.5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {0.5f, 1}, new Shape(1, 2));
            double distill = 0;
            double hard = 0;
            double[] z = {0.5, 1};
            double[] y = {1, 0};
            for (int i = 0; i < 2; i++) {
                double p = sigmoid(teacher[i] / t);
                double q = sigmoid(z[i] / t);
                distill += (p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q))) / 2;
                hard += -(y[i] * Math.log(sigmoid(z[i])) + (1 - y[i]) * Math.log(1 - sigmoid(z[i]))) / 2;
            }
            assertEquals(0.5 * t * t * distill + 0.5 * hard, o.loss(logits, null, new int[] {0}, m).getFloat(), 1e-5);
        }
    }

    @Test
    void regressionIsSquaredErrorToTheTeachersValueWithoutTemperature() {
        List<float[]> soft = List.of(DistillObjective.soft(DistillObjective.Kind.VALUE, new float[] {3}, 0, 1, 2));
        DistillObjective o = objective(DistillObjective.Kind.VALUE, List.of(new float[] {4}), 1, soft, 2, 0.5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {1}, new Shape(1, 1));
            assertEquals(0.5 * 4 + 0.5 * 9, o.loss(logits, null, new int[] {0}, m).getFloat(), 1e-5);
        }
    }

    @Test
    void spansMatchTheStartAndEndDistributionsOverRealTokensOnly() {
        double t = 2;
        // a window of 3 real tokens in a batch padded to 4; the teacher's logits were padded to 5 in its own batch
        float[] teacher = {1, 0, 0, 2, -1, 1, 9, 9, 9, 9};
        List<float[]> soft = List.of(DistillObjective.soft(DistillObjective.Kind.SPANS, teacher, 3, 2, t));
        double[] ps = softmax(0.5, 0, -0.5);
        double[] pe = softmax(0, 1, 0.5);
        assertEquals(ps[2], soft.get(0)[4], 1e-6, "start of token 2");
        assertEquals(pe[1], soft.get(0)[3], 1e-6, "end of token 1");
        DistillObjective o = objective(DistillObjective.Kind.SPANS, List.of(new float[] {1, 2}), 1, soft, t, 1);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {0, 1, 1, 0, 2, 2, 50, 50}, new Shape(1, 4, 2));
            NDArray mask = m.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
            double want = t * t * (kl(ps, softmax(0, 0.5, 1)) + kl(pe, softmax(0.5, 0, 1))) / 2;
            assertEquals(want, o.loss(logits, mask, new int[] {0}, m).getFloat(), 1e-4,
                    "the padded position's large logits do not count");
        }
    }

    @Test
    void tokensAverageTheKlOverRealTokensAndMixTheLabelledPositionsCrossEntropy() {
        double t = 1;
        float[] teacher = {1, 0, 0, 1}; // 2 tokens x 2 labels
        List<float[]> soft = List.of(DistillObjective.soft(DistillObjective.Kind.TOKENS, teacher, 2, 2, t));
        // token 0 has label 1; token 1 is a later piece (ignored by the hard loss)
        DistillObjective o = objective(DistillObjective.Kind.TOKENS,
                List.of(new float[] {1, TokenObjective.IGNORED}), 1, soft, t, 0.5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {0, 0, 2, 0, 7, 7}, new Shape(1, 3, 2));
            NDArray mask = m.create(new long[] {1, 1, 0}, new Shape(1, 3));
            double distill = (kl(softmax(1, 0), softmax(0, 0)) + kl(softmax(0, 1), softmax(2, 0))) / 2;
            double hard = -Math.log(softmax(0, 0)[1]);
            assertEquals(0.5 * distill + 0.5 * hard, o.loss(logits, mask, new int[] {0}, m).getFloat(), 1e-5);
        }
    }

    @Test
    void anEnsembleAveragesItsTeachersProbabilities() {
        float[] a = DistillObjective.soft(DistillObjective.Kind.CLASSES, new float[] {2, 0}, 0, 2, 1);
        float[] b = DistillObjective.soft(DistillObjective.Kind.CLASSES, new float[] {0, 2}, 0, 2, 1);
        float[] mean = DistillObjective.mean(List.of(a, b));
        assertEquals(0.5, mean[0], 1e-6);
        assertEquals(0.5, mean[1], 1e-6);
    }

    /** Teacher logits for the trainer test's texts, from a tiny classifier of another seed. */
    private static List<float[]> logits(TaskModel model, Features f) {
        List<float[]> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < f.size(); i++) {
                out.add(model.forward(f.batch(new int[] {i}, m)).toFloatArray());
            }
        }
        return out;
    }

    private static double meanKl(List<float[]> teacher, List<float[]> student) {
        double s = 0;
        for (int i = 0; i < teacher.size(); i++) {
            double[] p = softmax(teacher.get(i)[0], teacher.get(i)[1]);
            s += kl(p, softmax(student.get(i)[0], student.get(i)[1])) / teacher.size();
        }
        return s;
    }

    @Test
    void aStudentTrainedOnATeachersOutputsMovesTowardThem() {
        BertConfig c = new BertConfig(Tiny.vocab().size(), 32, 2, 4, 64, "gelu", 64, 2, 1e-12, 0, 0, 0.02, null);
        try (Bert tb = Bert.random(c, true, 11); Bert sb = Bert.random(c, true, 5);
                BertTokenizer tok = Tiny.tokenizer(32); NDManager m = NDManager.newBaseManager();
                TaskModel teacher = TaskModel.create(new Checkpoint(c, tb.tensors(), Map.of()),
                        TaskModel.Head.CLASSIFIER, 2, TaskModel.Pooling.MEAN, 0, 11, "teacher", true);
                TaskModel student = TaskModel.create(new Checkpoint(c, sb.tensors(), Map.of()),
                        TaskModel.Head.CLASSIFIER, 2, TaskModel.Pooling.MEAN, 0, 5, "student", true)) {
            // a teacher with confident, text-dependent outputs: its head scaled up
            NDArray w = teacher.params().get("classifier.weight");
            w.set(w.mul(40).toFloatArray());
            List<Encoding> enc = TrainerTest.TEXTS.stream().map(tok::encode).toList();
            List<float[]> none = new ArrayList<>();
            for (int i = 0; i < enc.size(); i++) {
                none.add(new float[] {0});
            }
            Features f = new Features(enc, none);
            List<float[]> teacherLogits = logits(teacher, f);
            List<float[]> soft = teacherLogits.stream()
                    .map(z -> DistillObjective.soft(DistillObjective.Kind.CLASSES, z, 0, 2, 1)).toList();
            double before = meanKl(teacherLogits, logits(student, f));
            Trainer.Settings s = TrainerTest.settings(Map.of("batch-size", "4", "epochs", "15", "learning-rate", "3e-3"));
            Trainer.Plan plan = Trainer.Plan.of(s, f.size(), 2);
            ParameterPolicy policy = new LayerSchedule(new LayerPolicy(student.family(), 2, 1, null), Unfreezing.all(),
                    new Schedule(s.schedule(), plan.totalSteps(), 0), s.learningRate(), student::trainable);
            DistillObjective goal = new DistillObjective(student, DistillObjective.Kind.CLASSES, f, 0, soft, 1, 0.5);
            new Trainer(s, plan, student.params(), goal, policy).fit(Trainer.Position.START, Map::of,
                    new Trainer.Listener() {
                        @Override
                        public void step(long step, long totalSteps, int epoch, double loss, double lr,
                                Map<String, Double> groupLr, double gradNorm, long tokens, double seconds) {}

                        @Override
                        public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
                            return true;
                        }

                        @Override
                        public void checkpoint(Trainer.Position next) {}
                    });
            double after = meanKl(teacherLogits, logits(student, f));
            assertTrue(before > 0.5, "the untrained student disagrees with the teacher: KL " + before);
            assertTrue(after < before / 4, "KL to the teacher " + before + " -> " + after);
        }
    }
}
