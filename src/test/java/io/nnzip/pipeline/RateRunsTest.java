package io.nnzip.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.EncodeConfig;
import io.nnzip.codec.NnzCodec;
import io.nnzip.data.Dataset;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.FineTunePass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A recipe step's rate_penalty: parsed, applied to the step's fine-tuning, recorded, and smaller in the real encoder's bytes. */
class RateRunsTest {
    @Test
    void recipeStepTakesRatePenaltyAndRefusesANegativeOne() {
        String yaml = "name: r\nsteps:\n  - step: train\n    options: {epochs: 1}\n    rate_penalty: 0.000001\n";
        Recipe r = Recipe.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test");
        assertEquals(1e-6, r.steps().getFirst().ratePenalty());
        assertThrows(NnzipException.class, () -> new Recipe.Step("train", Map.of(), null, null, null, -1.0));
    }

    /** 1×5×5 images of noise; the label is whether pixel 0 is bright, so 24 of 25 inputs are useless. */
    private static Dataset data(String name, int n, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * 25];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 25; j++) px[i * 25 + j] = r.nextFloat();
            y[i] = px[i * 25] > 0.5f ? 1 : 0;
        }
        return new Dataset(name, px, y, 1, 5, 5, 2);
    }

    private static Model mlp() {
        Random r = new Random(3);
        GraphBuilder g = new GraphBuilder("mlp");
        String x = g.input("x", DType.FLOAT, -1, 1, 5, 5);
        float[] w1 = new float[32 * 25], w2 = new float[2 * 32];
        for (int i = 0; i < w1.length; i++) w1[i] = (float) (0.3 * r.nextGaussian());
        for (int i = 0; i < w2.length; i++) w2[i] = (float) (0.3 * r.nextGaussian());
        String h = g.op("Relu", g.op("Gemm", new String[] {g.op("Flatten", x), g.init("w1", w1, 32, 25), g.init("b1", new float[32], 32)}, Attribute.of("transB", 1L)));
        String y = g.op("Gemm", new String[] {h, g.init("w2", w2, 2, 32), g.init("b2", new float[2], 2)}, Attribute.of("transB", 1L));
        g.output(g.rename(y, "y"), DType.FLOAT);
        return g.build(17);
    }

    private static long w1Bytes(Model m) {
        EncodeConfig enc = EncodeConfig.of(Map.of("provenance", "none"));
        Model back = NnzCodec.decode(NnzCodec.encode(m, enc.options(m, 1)));
        io.nnzip.codec.TensorUnit u = io.nnzip.codec.TensorCodec.encode(0, "w1", m.graph().initializer("w1"),
                new io.nnzip.codec.TensorCodec.Policy(true, enc.options(m, 1).qpFor("w1"), -1, Double.NaN), null);
        assertTrue(back.graph().initializer("w1") != null);
        return u.codedBytes();
    }

    @Test
    void penalizedFineTuningCodesSmallerAtTheSameAccuracyAndIsRecorded() {
        Model m = mlp();
        PassContext ctx = PassContext.builder().data(data("train", 2048, 1), data("test", 512, 2)).threads(1).build();
        FineTunePass pass = FineTunePass.of(Map.of("epochs", 6, "lr", 0.01, "schedule", "cosine"));
        PassResult plain = pass.run(m, ctx);
        RateRuns rate = new RateRuns(3e-3);
        PassResult priced = rate.record(pass.name(), pass.run(m, rate.context(ctx)));
        @SuppressWarnings("unchecked")
        Map<String, Object> rep = (Map<String, Object>) priced.report().get("rate_penalty");
        assertEquals(1, rep.get("training_runs"));
        assertTrue(priced.model().metadata().containsKey("nnzip.train.rate_penalty"));
        assertTrue(!plain.model().metadata().containsKey("nnzip.train.rate_penalty"));
        // the independent reference: what the encoder writes for the priced tensor at the default encode settings (the
        // whole file also carries the step's provenance record, a few hundred bytes of text on this 1.4 kB model)
        long a = w1Bytes(plain.model()), b = w1Bytes(priced.model());
        float accPlain = (Float) plain.report().get("accuracy"), accPriced = (Float) priced.report().get("accuracy");
        System.out.printf("w1 coded %d B without, %d B with the penalty; accuracy %.4f / %.4f%n", a, b, accPlain, accPriced);
        assertTrue(accPlain > 0.9f && accPriced > accPlain - 0.02f, "accuracy " + accPlain + " / " + accPriced);
        assertTrue(b < 0.97 * a, "coded bytes with the penalty " + b + " vs without " + a);
    }
}
