package io.nnzip.codec;

import io.nnzip.codec.bench.SyntheticCnn;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns the .npz checkpoints of a trained CNN (conv 1→8→16, fc 784→128→10, as SyntheticCnn lays it out) into ONNX
 * files, for measuring the codec's acceptance figures on trained weights: {@code NpzToOnnx a.npz b.npz ...}.
 */
final class NpzToOnnx {
    public static void main(String[] args) {
        for (String a : args) {
            Path p = Path.of(a);
            Map<String, Tensor> w = Npy.readNpz(p);
            Model m = SyntheticCnn.build(0, 8, 16, 128);
            m.graph().initializers().replaceAll((k, t) -> w.containsKey(k) ? w.get(k).reshape(t.shape()) : t);
            Path out = p.resolveSibling(p.getFileName().toString().replace(".npz", ".onnx"));
            OnnxWriter.write(m, out);
            System.out.println("wrote " + out);
        }
    }
}
