package io.nnzip.engine;

import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How the engine runs float16 / bfloat16 values: a node that reads one computes in float32 on the widened values
 * and rounds its float outputs back to that half type (to nearest even), so every value between nodes is what the
 * graph says it is. ONNX Runtime's CPU provider does the same for the ops it has no half kernel for (most of them);
 * the engine has none, so it does it everywhere except for the ops whose output type does not follow their inputs.
 * Constant inputs (initializers) are widened once and reused.
 */
final class HalfWidening {
    /** Ops that read half values as they are: their output type is set otherwise (Cast, CastLike) or is an integer. */
    private static final Set<String> AS_IS = Set.of("Cast", "CastLike", "Shape", "Size");
    /** Ops whose later outputs have a type of their own (normalization statistics in the stash type). */
    private static final Set<String> FIRST_OUTPUT_ONLY = Set.of("LayerNormalization", "BatchNormalization", "SkipLayerNormalization");

    private final Map<Tensor, Tensor> constants = new IdentityHashMap<>();
    private final Set<Tensor> fixed;

    HalfWidening(Map<String, Tensor> initializers) {
        this.fixed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        fixed.addAll(initializers.values());
    }

    /** The half type among {@code in} (null: none, or the op reads half values itself). */
    static DType halfType(Node n, Tensor[] in) {
        if (AS_IS.contains(n.opType())) return null;
        for (Tensor t : in) if (t != null && (t.dtype() == DType.FLOAT16 || t.dtype() == DType.BFLOAT16)) return t.dtype();
        return null;
    }

    Tensor[] widen(Tensor[] in) {
        Tensor[] out = in.clone();
        for (int i = 0; i < in.length; i++) {
            Tensor t = in[i];
            if (t == null || t.dtype() != DType.FLOAT16 && t.dtype() != DType.BFLOAT16) continue;
            if (fixed.contains(t)) {
                synchronized (constants) {
                    out[i] = constants.computeIfAbsent(t, HalfWidening::toFloat);
                }
            } else out[i] = toFloat(t);
        }
        return out;
    }

    /** {@code out} with every float32 tensor rounded to {@code half}; an explicit {@code dtype} attribute wins. */
    static Tensor[] narrow(Node n, Tensor[] out, DType half) {
        if (n.has("dtype")) return out;
        Tensor[] r = out.clone();
        for (int i = 0; i < (FIRST_OUTPUT_ONLY.contains(n.opType()) ? Math.min(1, r.length) : r.length); i++)
            if (r[i] != null && r[i].dtype() == DType.FLOAT) r[i] = round(r[i], half);
        return r;
    }

    private static Tensor round(Tensor t, DType half) {
        float[] f = t.floats();
        short[] h = new short[f.length];
        for (int i = 0; i < f.length; i++) h[i] = half == DType.FLOAT16 ? Float.floatToFloat16(f[i]) : Values.toBfloat16(f[i]);
        return new Tensor(half, t.shape(), h);
    }

    private static Tensor toFloat(Tensor t) { return Tensor.of(t.toFloats(), t.shape()); }
}
