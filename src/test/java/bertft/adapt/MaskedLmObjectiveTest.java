package bertft.adapt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDManager;
import bertft.Tiny;
import bertft.data.Batcher;
import bertft.data.Corpus;
import bertft.model.Bert;
import bertft.model.BertConfig;
import bertft.model.MaskedLm;
import bertft.model.Torch;
import bertft.task.TaskFiles;
import bertft.text.BertTokenizer;
import bertft.train.Trainer;
import bertft.train.TrainingObjective;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** adapt's masked-LM objective on the one loop. */
class MaskedLmObjectiveTest {
    @BeforeAll
    static void engine() {
        Torch.init();
    }

    /**
     * With gradient-accumulation 2 a step logs the mean loss and the tokens of both batches it accumulates (adapt's
     * own loop logged the last batch's only: tokens/s half what it was).
     */
    @Test
    void anAccumulatedStepLogsTheLossAndTokensOfEveryBatch() {
        // no dropout: the losses computed here and in the step see the same network
        BertConfig c = new BertConfig(Tiny.vocab().size(), 32, 2, 4, 64, "gelu", 64, 2, 1e-12, 0, 0, 0.02, null);
        List<String> texts = List.of("good phone", "the battery was terrible and it broke", "great",
                "bad price for the product", "i love the movie", "awful", "it was excellent and the price was good",
                "hate it");
        try (Bert bert = Bert.random(c, true, 5); BertTokenizer tok = Tiny.tokenizer(32);
                MaskedLm model = MaskedLm.create(c, bert.tensors(), "tiny", 5)) {
            List<Corpus.Sequence> train = new ArrayList<>();
            for (String t : texts) {
                Encoding e = tok.encode(t);
                boolean[] special = new boolean[e.getIds().length];
                special[0] = true;
                special[special.length - 1] = true;
                boolean[] start = new boolean[special.length];
                Arrays.fill(start, true);
                train.add(new Corpus.Sequence(e.getIds(), special, start));
            }
            // every token that can be is masked, so no batch goes without
            MaskedLmObjective objective = new MaskedLmObjective(model, train, new Masking(0.9, false, tok.maskId(),
                    c.vocabSize()), 0, 7);
            Trainer.Settings s = Trainer.Settings.of(TaskFiles.loadAdapt(null, Map.of("text", "t.txt", "batch-size",
                    "4", "gradient-accumulation", "2", "epochs", "1", "seed", "7")));
            Trainer.Plan plan = Trainer.Plan.of(s, train.size(), 2);
            assertEquals(1, plan.totalSteps());
            // what the step's two batches weigh before it: their mean loss, their tokens
            List<int[]> batches = Batcher.training(objective.lengths(), 4, new Random(7 * 1_000_003L));
            model.params().forEach((k, p) -> p.setRequiresGradient(false));
            double mean = 0;
            long tokens = 0;
            for (int b = 0; b < 2; b++) {
                try (NDManager m = NDManager.newBaseManager()) {
                    mean += objective.loss(batches.get(b), new TrainingObjective.Pass(0, 1, 0, b, b, true), m).logged() / 2;
                }
                tokens += Arrays.stream(batches.get(b)).map(i -> train.get(i).length()).sum();
            }
            double[] logged = new double[2];
            HeadFirst policy = new HeadFirst(Set.copyOf(model.headKeys()), 0, 1, "constant", 0, 1e-3, 1e-3,
                    model::trainable);
            new Trainer(s, plan, model.params(), objective, policy).fit(Trainer.Position.START, Map::of,
                    new Trainer.Listener() {
                        @Override
                        public void step(long step, long totalSteps, int epoch, double loss, double lr,
                                Map<String, Double> groupLr, double gradNorm, long stepTokens, double seconds) {
                            logged[0] = loss;
                            logged[1] = stepTokens;
                        }

                        @Override
                        public boolean evaluated(long step, int epoch, Map<String, Double> metrics) {
                            return true;
                        }

                        @Override
                        public void checkpoint(Trainer.Position next) {}
                    });
            assertEquals(mean, logged[0], 1e-6, "the mean of both batches' losses");
            assertEquals(tokens, (long) logged[1], "the tokens of both batches");
            assertEquals(train.stream().mapToInt(Corpus.Sequence::length).sum(), tokens);
        }
    }
}
