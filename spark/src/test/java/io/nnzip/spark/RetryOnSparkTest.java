package io.nnzip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Normalization;
import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.TrainSpec;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxWriter;
import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A task that fails is retried by Spark and gives the same result: training with one injected task failure ends with
 * the failure-free run's model, bit for bit. One local[2] context for the class (started as local[2,4]: Spark retries a
 * task on a local master only in that form).
 */
class RetryOnSparkTest {
    static JavaSparkContext sc;
    static final Normalization NORM = new Normalization(new float[] {0.286f}, new float[] {0.353f});
    static final byte[] MODEL = OnnxWriter.toBytes(Models.create("mlp", 0.25f, 10, 1));

    @BeforeAll
    static void start() {
        sc = SparkContexts.start("local[2]", 2);
        assertEquals("local[2,4]", sc.master());
        assertEquals("local[*,4]", SparkContexts.withRetries("local[*]"));
        assertEquals("local[1,4]", SparkContexts.withRetries("local"));
        assertEquals("local[3,2]", SparkContexts.withRetries("local[3,2]"));
        assertEquals("spark://h:7077", SparkContexts.withRetries("spark://h:7077"));
    }

    @AfterAll
    static void stop() { sc.stop(); }

    @AfterEach
    void noFailure() { DataParallel.failOnce = null; }

    /** 256 images, batches of 32 on 2 workers: 4 rounds an epoch, 2 epochs (a retry after the first must find epoch 2's order). */
    static ScaleOut.Trained train(String exchange, String fail) {
        return train(exchange, fail, 1);
    }

    static ScaleOut.Trained train(String exchange, String fail, int localSteps) {
        TrainSpec spec = new TrainSpec(MODEL, "fashion-mnist", 256, NORM.mean(), NORM.std(), 2, 32, 3e-3f, "adam", 0.9f, 0f, 1, 2, exchange, localSteps, 1);
        DataParallel.failOnce = fail;
        try {
            return DataParallel.run(sc, spec, 256, s -> {});
        } finally {
            DataParallel.failOnce = null;
        }
    }

    static int number(ScaleOut.Trained t, String key) { return ((Number) t.info().get(key)).intValue(); }

    static void assertSameWeights(Model a, Model b) {
        var ga = a.graph();
        var gb = b.graph();
        assertEquals(ga.initializers().keySet(), gb.initializers().keySet());
        for (String n : ga.initializers().keySet())
            if (ga.initializer(n).dtype() == io.nnzip.ir.DType.FLOAT)
                assertEquals(-1, Arrays.mismatch(ga.initializer(n).toFloats(), gb.initializer(n).toFloats()), n + " differs from the failure-free run");
    }

    @Test
    void aThresholdWorkerRetriedMidRunEndsWithTheFailureFreeModelBitForBit() {
        ScaleOut.Trained free = train("threshold", null);
        assertEquals("mean weight change of the workers' local steps", free.info().get("update_rule"));
        assertEquals(8, number(free, "rounds"));
        assertEquals(0, number(free, "restarts"));
        // every worker began every round from the driver's weights, bit for bit
        assertEquals(0, number(free, "rounds_copies_differed"));
        int n = number(free, "parameters");
        // failing after the worker's Adam step changed its moments but before it sent (round 2), and after it sent
        // (round 5, epoch 2): the retry continues from the residual and the Adam state the round started with
        for (String fail : new String[] {"1/2/mid", "0/5/end"}) {
            ScaleOut.Trained retried = train("threshold", fail);
            assertEquals(1, number(retried, "restarts"), fail);
            assertEquals(0, number(retried, "restarts_residual_lost"), fail);
            assertEquals(0, number(retried, "rounds_copies_differed"), fail);
            assertSameWeights(free.model(), retried.model());
            assertEquals(free.trainLoss(), retried.trainLoss(), fail);
            // the restarted worker fetched the weights, float32: counted
            long restart = 4L * n;
            assertEquals(restart, ((Number) retried.info().get("restart_bytes")).longValue(), fail);
            assertEquals(((Number) free.info().get("exchange_bytes")).longValue() + restart, ((Number) retried.info().get("exchange_bytes")).longValue(), fail);
        }
    }

    @Test
    void aRetriedWorkerGivesTheSameResultWithInt8Exchange() {
        ScaleOut.Trained free = train("int8", null);
        ScaleOut.Trained retried = train("int8", "1/3/end");
        assertEquals(1, number(retried, "restarts"));
        assertEquals(0, number(retried, "rounds_copies_differed"));
        assertSameWeights(free.model(), retried.model());
    }
}
