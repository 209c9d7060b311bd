package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.TensorCodec;
import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Equal-fidelity update steps: the receiver's grid is found, and an update costs levels only where weights left their cell. */
class BaseGridTest {
    @Test
    void findsTheGridOfAQuantizedBaseAndKeepsTheOwnStepForAFloatBase() {
        Random r = new Random(3);
        int n = 5000;
        float[] w = new float[n], onGrid = new float[n];
        double delta = 0.0123456;
        for (int i = 0; i < n; i++) {
            w[i] = (float) (r.nextGaussian() * 0.1);
            onGrid[i] = (float) (Math.rint(w[i] / delta) * delta);
        }
        long[] dims = {50, 100};
        int qp = (int) Math.round(4 * Math.log(delta / 0.1) / Math.log(2)); // a QP whose own step is near delta
        float[] s = BaseGrid.steps(w, onGrid, dims, -1, qp);
        assertEquals(delta, s[0], delta * 1e-6);
        float[] own = UniformQuantizer.steps(w, null, dims, -1, qp);
        assertEquals(own[0], BaseGrid.steps(w, w, dims, -1, qp)[0]);
    }

    @Test
    void anUpdateHasNonZeroLevelsExactlyWhereWeightsLeftTheirCell() throws Exception {
        CodecOptions o = CodecOptions.defaults().withThreads(1).withRounding(0.5);
        Model base = OnnxReader.read(Path.of("src/test/resources/codec/v4/base.onnx"));
        Model have = NnzCodec.decode(NnzCodec.encode(base, o));
        // move 7 weights of the biggest tensor by 3 of its steps; nothing else changes
        String name = have.graph().initializers().entrySet().stream().filter(e -> e.getValue().dtype() == DType.FLOAT)
                .max(java.util.Comparator.comparingInt(e -> e.getValue().size())).orElseThrow().getKey();
        Tensor t = have.graph().initializer(name);
        float[] w = t.floats().clone();
        float step = UniformQuantizer.steps(t.floats(), null, new long[] {w.length}, -1, o.qp())[0];
        int[] moved = {0, 11, 200, 301, 555, 1000, w.length - 1};
        for (int i : moved) w[i] += 3 * step;
        Model next = have.copy();
        next.graph().initializers().put(name, new Tensor(DType.FLOAT, t.shape(), w));
        byte[] upd = DiffEncoder.diff(have, next, o, true);
        NnzReader rd = new NnzReader(upd, "update");
        int nonZero = 0, units = 0;
        for (NnzReader.Unit u; (u = rd.next()) != null; ) {
            if (u.type() != io.nnzip.codec.format.NnzFormat.TENSOR) continue;
            units++;
            TensorUnit tu = new TensorUnit();
            tu.formatVersion = rd.version();
            tu.syntax(new SyntaxReader(new io.nnzip.codec.bits.ByteSource(u.payload(), "unit")));
            for (int q : TensorCodec.levels(tu, have.graph().initializer(tu.name))) if (q != 0) nonZero++;
        }
        assertEquals(1, units, "only the changed tensor is sent");
        assertEquals(moved.length, nonZero);
    }
}
