package io.nnzip.search;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.train.TrainListener;
import java.nio.file.Path;

/**
 * Trains the Fashion-MNIST {@link GeneratorNet} and writes it: {@code OUT.onnx LIMIT EPOCHS SEED [THREADS]} (the first
 * LIMIT training images; the search's held-out images are drawn from the whole training split).
 */
public final class TrainGeneratorMain {
    public static void main(String[] a) {
        Dataset train = Datasets.load("fashion-mnist", "train");
        int limit = Integer.parseInt(a[1]);
        if (limit < train.size()) train = train.head(limit);
        long t0 = System.nanoTime();
        Model g = GeneratorNet.train(train, Integer.parseInt(a[2]), 2e-3f, Long.parseLong(a[3]), a.length > 4 ? Integer.parseInt(a[4]) : 2, new TrainListener() {
            @Override
            public void epochEnd(io.nnzip.train.Trainer.EpochStats s) { System.out.println("epoch " + s); }
        });
        OnnxWriter.write(g, Path.of(a[0]));
        System.out.printf("wrote %s in %.1f s%n", a[0], (System.nanoTime() - t0) / 1e9);
    }
}
