package io.nnzip.search;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ORIGINAL.onnx COMPRESSED.onnx}: runs both generators in ONNX Runtime on 512 standard-normal noise vectors
 * (seed 42) and prints the compressed one's largest difference to the engine and its pixel MSE to the original.
 */
public final class OrtGeneratorCheckMain {
    public static void main(String[] a) {
        float[] z = GeneratorNet.noise(512, 42).pixels();
        float[][] ort = new float[2][];
        for (int k = 0; k < 2; k++) {
            Model m = OnnxReader.read(Path.of(a[k]));
            try (OrtRunner r = new OrtRunner(m, 1)) {
                Tensor t = r.run(Map.of(GeneratorNet.NOISE, Tensor.of(z, 512, GeneratorNet.NZ))).get(GeneratorNet.IMAGE);
                ort[k] = t.floats();
                float[] mine = GeneratorNet.generate(m, z, 1);
                double max = 0;
                for (int i = 0; i < mine.length; i++) max = Math.max(max, Math.abs(mine[i] - ort[k][i]));
                System.out.printf("%s: ORT output %s, largest |engine - ORT| %.2e%n", a[k], java.util.Arrays.toString(t.shape()), max);
            }
        }
        System.out.printf("pixel MSE compressed vs original (ORT, 512 noise vectors): %.6f%n", CoevolutionPass.mse(ort[1], ort[0]));
    }
}
