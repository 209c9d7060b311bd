package io.nnzip.search;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.train.Evaluator;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;

/**
 * A candidate's fitness as a plain function of the pruned model and the data it is given, so that it can run
 * anywhere (a thread, a Spark task): one brief epoch of the shared {@link Trainer} on a small slice of the training
 * split (or a fine-tune as long as the output's), then top-1 accuracy and cross-entropy on a held-out slice of the
 * training split (the test split is never seen).
 *
 * @param tune    images of the fine-tune (null or empty: none)
 * @param holdout labelled images the accuracy is measured on
 * @param epochs  0: the brief fine-tune (1 epoch, batch 64, constant lr); E > 0: E epochs with cosine decay at the
 *                trainer's default batch, as the output's fine-tune
 */
public record Fitness(Dataset tune, Dataset holdout, Normalization norm, float lr, long seed, int threads, int epochs) {
    public Fitness(Dataset tune, Dataset holdout, Normalization norm, float lr, long seed, int threads) {
        this(tune, holdout, norm, lr, seed, threads, 0);
    }

    /** Accuracy (a fraction) and mean cross-entropy on the held-out images, and the wall time of the whole evaluation in seconds. */
    public record Score(double accuracy, double loss, double seconds) {}

    public Score of(Model pruned) {
        long t0 = System.nanoTime();
        Evaluator.Result res;
        if (tune == null || tune.size() == 0) {
            try (Parallel par = new Parallel(threads)) {
                res = Evaluator.evaluate(Evaluator.engine(pruned, par), holdout, norm, 256);
            }
        } else {
            Trainer.Options o = epochs == 0 ? new Trainer.Options().epochs(1).batchSize(64).lr(lr).schedule("constant").seed(seed).threads(threads)
                    : new Trainer.Options().epochs(epochs).lr(lr).optimizer("adam").schedule("cosine").seed(seed).threads(threads);
            try (Trainer t = new Trainer(pruned, o)) {
                t.fit(tune, null, norm, new TrainListener() {});
                res = Evaluator.evaluate(Evaluator.engine(t.model(), t.parallel()), holdout, norm, 256);
            }
        }
        return new Score(res.accuracy(), res.loss(), (System.nanoTime() - t0) / 1e9);
    }
}
