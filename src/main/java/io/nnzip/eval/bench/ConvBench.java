package io.nnzip.eval.bench;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.Conv2d;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Conv forward throughput (with bias), ours ({@link Conv2d}) against ONNX Runtime's Conv on the same shape in the
 * same run. The shapes are the three conv layers of the built-in CNN at the given batch, a ResNet-style 3×3 layer
 * and a 1×1 bottleneck layer at batch 1.
 * <pre>x: (N,C,H,W), w: (K,C,R,R), b: (K) -> y: (N,K,P,Q)</pre>
 */
public final class ConvBench {
    private ConvBench() {}

    record Shape(String name, int n, int c, int h, int k, int r, int pad) {}

    static List<Shape> shapes(int batch) {
        return List.of(new Shape("cnn.conv1", batch, 1, 28, 32, 3, 1), new Shape("cnn.conv2", batch, 32, 14, 64, 3, 1),
                new Shape("cnn.conv3", batch, 64, 7, 128, 3, 1), new Shape("resnet.3x3", 1, 64, 56, 64, 3, 1),
                new Shape("resnet.1x1", 1, 256, 56, 64, 1, 0));
    }

    public static List<Map<String, Object>> run(int batch, int[] threads, int rounds, double roundMs) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Shape s : shapes(batch))
            for (int t : threads) rows.add(one(s, t, rounds, roundMs));
        return rows;
    }

    static Map<String, Object> one(Shape s, int threads, int rounds, double roundMs) {
        SplittableRandom r = new SplittableRandom(7);
        ConvGeometry g = new ConvGeometry(s.n(), s.c(), s.h(), s.h(), s.k(), 1, s.r(), s.r(), 1, 1, s.pad(), s.pad(), s.pad(), s.pad(), 1, 1);
        float[] x = GemmBench.random(r, s.n() * s.c() * s.h() * s.h()), w = GemmBench.random(r, s.k() * s.c() * s.r() * s.r());
        float[] b = GemmBench.random(r, s.k()), y = new float[s.n() * s.k() * g.p() * g.q()];
        GraphBuilder gb = new GraphBuilder("conv");
        String xi = gb.input("x", DType.FLOAT, s.n(), s.c(), s.h(), s.h());
        String wi = gb.init("w", Tensor.of(w, s.k(), s.c(), s.r(), s.r())), bi = gb.init("b", b, s.k());
        String yo = gb.op("Conv", new String[] {xi, wi, bi}, Attribute.of("pads", s.pad(), s.pad(), s.pad(), s.pad()));
        gb.output(gb.rename(yo, "y"), DType.FLOAT);
        Model m = gb.build(17);
        double flop = 2.0 * g.macs();
        try (Parallel par = new Parallel(threads); io.nnzip.eval.OrtRunner.Prepared ort = io.nnzip.eval.OrtRunner.timed(m, threads, Map.of("x", Tensor.of(x, s.n(), s.c(), s.h(), s.h())))) {
            Runnable ours = () -> Conv2d.forward(g, x, w, b, y, false, par);
            Timer.Result[] res = Timer.interleaved(new Runnable[] {ours, ort::run}, 1500, rounds, roundMs);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("layer", s.name());
            row.put("shape", String.format("N=%d C=%d H=W=%d K=%d R=S=%d", s.n(), s.c(), s.h(), s.k(), s.r()));
            row.put("threads", threads);
            GemmBench.putRates(row, res[0], res[1], flop, threads);
            return row;
        }
    }
}
