package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Runs one op's kernel or shape rule directly, the way the Executor and ShapeInference call them. */
final class Ops {
    static final Parallel TEAM = new Parallel(2);

    private Ops() {}

    static Node node(String type, int inputs, int outputs, Attribute... attrs) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        for (int i = 0; i < inputs; i++) in.add("in" + i);
        for (int i = 0; i < outputs; i++) out.add("out" + i);
        Node n = new Node("t", type, in, out);
        for (Attribute a : attrs) n.set(a);
        return n;
    }

    static Tensor[] run(String type, int opset, int outputs, Tensor[] in, Attribute... attrs) {
        return run(new ExecContext(TEAM, opset), type, outputs, in, attrs);
    }

    static Tensor[] run(ExecContext ctx, String type, int outputs, Tensor[] in, Attribute... attrs) {
        Node n = node(type, in.length, outputs, attrs);
        return OpRegistry.get(n).kernel().run(n, in, ctx);
    }

    static Tensor run1(String type, Tensor[] in, Attribute... attrs) { return run(type, 17, 1, in, attrs)[0]; }

    static ValueType[] infer(String type, int opset, int outputs, ValueType[] in, Attribute... attrs) {
        Node n = node(type, in.length, outputs, attrs);
        return OpRegistry.get(n).shape().infer(n, in, opset);
    }

    static float[] ramp(int n, float scale, float shift) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) Math.sin(i * 0.37 + 0.1) * scale + shift;
        return f;
    }
}
