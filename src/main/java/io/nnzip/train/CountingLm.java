package io.nnzip.train;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A built-in next-token task for small causal language models ({@code train --model gpt-tiny}): each sequence
 * counts from a random start by a random step, token t = (start + t·step) mod V, step in [1, 3]. The first token
 * says nothing about the step, every later one is determined by the two before it, so a model that attends to its
 * context reaches ~100 % on positions ≥ 1 while a unigram guesser stays at 1/3 at best.
 * <p>A sequence of T+1 tokens is stored as a 1×1×(T+1) "image" (labels: the step − 1); the model reads the first T
 * as int64 ids (B, T) and is scored on predicting tokens 1..T.
 */
public final class CountingLm {
    public static final int MAX_STEP = 3;

    private CountingLm() {}

    public static Dataset data(String name, int count, int vocab, int ctx, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] tokens = new float[count * (ctx + 1)];
        int[] steps = new int[count];
        for (int i = 0; i < count; i++) {
            int start = r.nextInt(vocab), step = 1 + r.nextInt(MAX_STEP);
            steps[i] = step - 1;
            for (int t = 0; t <= ctx; t++) tokens[i * (ctx + 1) + t] = (start + t * step) % vocab;
        }
        return new Dataset(name, tokens, steps, 1, 1, ctx + 1, MAX_STEP);
    }

    /** Points the trainer at the model's ids input (from the batch's tokens) and a per-position cross-entropy. */
    public static Trainer.Options configure(Trainer.Options o, String idsInput, int vocab, int ctx) {
        o.input = idsInput;
        o.feeds = b -> Map.of(idsInput, ids(b.images().floats(), b.size(), ctx));
        o.objective = (b, logits, grad) -> Losses.softmaxCrossEntropy(logits.floats(), targets(b, ctx), b.size() * ctx, vocab, o.labelSmoothing, grad);
        return o;
    }

    static Tensor ids(float[] tokens, int n, int ctx) {
        long[] ids = new long[n * ctx];
        for (int i = 0; i < n; i++) for (int t = 0; t < ctx; t++) ids[i * ctx + t] = (long) tokens[i * (ctx + 1) + t];
        return new Tensor(DType.INT64, new int[] {n, ctx}, ids);
    }

    private static int[] targets(Batch b, int ctx) {
        float[] tok = b.images().floats();
        int[] y = new int[b.size() * ctx];
        for (int i = 0; i < b.size(); i++) for (int t = 0; t < ctx; t++) y[i * ctx + t] = (int) tok[i * (ctx + 1) + t + 1];
        return y;
    }

    /** Next-token top-1 accuracy over positions 1..T−1 of every sequence (position 0 cannot know the step). */
    public static double accuracy(Model m, Dataset d, String idsInput, int vocab, int ctx, Parallel par) {
        Executor ex = new Executor(m, par);
        long right = 0, total = 0;
        for (int s = 0; s < d.size(); s += 256) {
            int n = Math.min(256, d.size() - s);
            float[] tok = java.util.Arrays.copyOfRange(d.pixels(), s * (ctx + 1), (s + n) * (ctx + 1));
            float[] logits = ex.run(Map.of(idsInput, ids(tok, n, ctx))).values().iterator().next().floats();
            for (int i = 0; i < n; i++)
                for (int t = 1; t < ctx; t++) {
                    int o = (i * ctx + t) * vocab, best = 0;
                    for (int v = 1; v < vocab; v++) if (logits[o + v] > logits[o + best]) best = v;
                    right += best == (int) tok[i * (ctx + 1) + t + 1] ? 1 : 0;
                    total++;
                }
        }
        return (double) right / total;
    }
}
