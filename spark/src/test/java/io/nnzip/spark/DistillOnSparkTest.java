package io.nnzip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.dist.TrainSpec;
import io.nnzip.distill.DistillConfig;
import io.nnzip.distill.Distiller;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.pass.RemoteTraining;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel distillation on Spark (one local[2] context for the class): the teachers and the Hinton options travel
 * as a DistillSetup. Reference: the same distillation in this process (teacher soft targets from its cache).
 */
class DistillOnSparkTest {
    static JavaSparkContext sc;
    static final Model TEACHER = OnnxReader.read(Path.of("../src/test/resources/pytorch-normalized/cnn.onnx"));
    static final Normalization NORM = Normalization.parse("0.2860,0.3530");

    @BeforeAll
    static void start() { sc = SparkContexts.start("local[2]", 2); }

    @AfterAll
    static void stop() { sc.stop(); }

    static RemoteTraining remote(int limit, int workers, String exchange, int globalBatch, int threads) {
        return (model, r, norm, trainSize, log) -> {
            TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(model), "fashion-mnist", limit, norm.mean(), norm.std(), r.epochs(), globalBatch / workers,
                    r.lr(), r.optimizer(), 0.9f, 0f, r.seed(), workers, exchange, 1, threads, r.schedule(), r.zeros(), r.worker());
            var t = DataParallel.run(sc, spec, trainSize, log);
            return new RemoteTraining.Result(t.model(), t.info());
        };
    }

    // the single-process run uses every core; the Trainer is deterministic for a given thread count
    static Distiller.Result distill(int limit, RemoteTraining remote) {
        Model student = Models.create("cnn", 0.125f, 10, 1);
        DistillConfig cfg = new DistillConfig(4f, 0.9f, List.of(), 0f, 1, 128, 3e-3f, 1, "cosine", true);
        Dataset train = Datasets.load("fashion-mnist", "train").head(limit), test = Datasets.load("fashion-mnist", "test").head(1000);
        return Distiller.run(student, List.of(TEACHER), List.of(NORM), cfg, train, test, NORM, false, new io.nnzip.train.TrainListener() {}, null, remote, s -> {});
    }

    @Test
    void oneWorkerWithFloatExchangeTrainsTheSingleProcessStudent() {
        Distiller.Result a = distill(256, null), b = distill(256, remote(256, 1, "float", 128, Runtime.getRuntime().availableProcessors()));
        assertEquals(2, ((Number) ((java.util.Map<?, ?>) b.toJson().get("spark")).get("rounds")).intValue(), "256 images at batch 128: two steps");
        Model start = Models.create("cnn", 0.125f, 10, 1);
        // Adam's first steps are ±lr wherever a gradient is not tiny, so a rounding-level difference in a near-zero
        // gradient (teacher logits batched by 256 in the cache here, by 128 on the worker) moves single weights:
        // nearly every weight must agree, and the updates as a whole to within 1 %
        int compared = 0, moved = 0, off = 0;
        double diff = 0, step = 0;
        for (var e : a.student().graph().initializers().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT) continue;
            float[] x = e.getValue().toFloats(), y = b.student().graph().initializer(e.getKey()).toFloats(), w0 = start.graph().initializer(e.getKey()).toFloats();
            for (int i = 0; i < x.length; i++) {
                if (Math.abs(x[i] - y[i]) > 1e-5f + 1e-4f * Math.abs(x[i])) off++;
                diff += Math.abs(x[i] - y[i]);
                step += Math.abs(x[i] - w0[i]);
                compared++;
            }
            if (!java.util.Arrays.equals(w0, x)) moved++;
        }
        assertTrue(off <= compared / 100, off + " of " + compared + " weights differ; updates differ by " + diff / step);
        assertTrue(diff <= 0.01 * step, "updates differ by " + diff / step + " (" + off + " weights off)");
        assertTrue(compared > 6_000, "compared " + compared);
        assertTrue(moved >= 4, "distillation moved the weights of " + moved + " tensors");
    }

    @Test
    void twoWorkersWithInt8ExchangeDistillAsWellAsOneProcess() {
        int limit = 2048;
        Distiller.Result a = distill(limit, null), b = distill(limit, remote(limit, 2, "int8", 128, 1));
        double ratio = ((Number) b.toJson().get("exchange_ratio")).doubleValue();
        assertTrue(ratio <= 0.27, "int8 exchange ratio " + ratio);
        // 16 steps from random weights: above chance (10 %), and where the single-process student gets
        assertTrue(b.studentAccuracy() > 0.2, "Spark student " + b.studentAccuracy() + ", local " + a.studentAccuracy());
        assertTrue(Math.abs(b.studentAccuracy() - a.studentAccuracy()) <= 0.08, "Spark " + b.studentAccuracy() + ", local " + a.studentAccuracy());
    }
}
