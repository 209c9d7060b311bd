package io.nnzip.engine;

import io.nnzip.engine.ops.ActivationOps;
import io.nnzip.engine.ops.ConvOps;
import io.nnzip.engine.ops.ElementwiseOps;
import io.nnzip.engine.ops.LinearOps;
import io.nnzip.engine.ops.MiscOps;
import io.nnzip.engine.ops.NormOps;
import io.nnzip.engine.ops.PoolOps;
import io.nnzip.engine.ops.FakeQuantOps;
import io.nnzip.engine.ops.QuantOps;
import io.nnzip.engine.ops.ReduceOps;
import io.nnzip.engine.ops.ShapeOps;
import io.nnzip.ir.Node;
import io.nnzip.ir.UnsupportedOpException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The closed set of ops the engine runs (the default ONNX domain, and the few contrib ops nnzip writes). Each op family registers its
 * {@link OpDef}s in {@code register}; this class is the one list of families.
 */
public final class OpRegistry {
    private static final Map<String, OpDef> OPS = new TreeMap<>();

    static {
        ElementwiseOps.register();
        ActivationOps.register();
        ReduceOps.register();
        ShapeOps.register();
        LinearOps.register();
        ConvOps.register();
        PoolOps.register();
        NormOps.register();
        QuantOps.register();
        FakeQuantOps.register();
        MiscOps.register();
        io.nnzip.engine.ops.BinaryOps.register();
        io.nnzip.engine.ops.OneHotOps.register();
        io.nnzip.engine.ops.AttentionOps.register();
        io.nnzip.engine.ops.AdderOps.register();
    }

    private OpRegistry() {}

    public static void register(String type, Kernel k, ShapeRule s) {
        if (OPS.put(type, new OpDef(type, k, s)) != null) throw new IllegalStateException("op registered twice: " + type);
    }

    /** An op of another domain (ONNX Runtime's com.microsoft contrib ops that nnzip itself writes), keyed domain:type. */
    public static void register(String domain, String type, Kernel k, ShapeRule s) { register(domain + ":" + type, k, s); }

    public static boolean supports(String domain, String type) {
        return OPS.containsKey(key(domain, type));
    }

    private static String key(String domain, String type) { return domain.isEmpty() || domain.equals("ai.onnx") ? type : domain + ":" + type; }

    public static OpDef get(Node n) {
        OpDef d = OPS.get(key(n.domain(), n.opType()));
        if (d == null) throw new UnsupportedOpException(n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType());
        return d;
    }

    /** The kernels of {@code nodes}, in order; one error names every op the engine lacks. */
    public static OpDef[] resolve(java.util.List<Node> nodes) {
        OpDef[] defs = new OpDef[nodes.size()];
        Set<String> missing = new java.util.TreeSet<>();
        for (int i = 0; i < defs.length; i++) {
            try {
                defs[i] = get(nodes.get(i));
            } catch (UnsupportedOpException e) {
                missing.add(e.what());
            }
        }
        if (!missing.isEmpty()) throw new UnsupportedOpException("op" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing));
        return defs;
    }

    public static Set<String> types() { return java.util.Collections.unmodifiableSet(OPS.keySet()); }
}
