package io.nnzip.eval;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of storage, compute and activation memory limits a model, found before compressing it.
 *
 * <p>Storage is the initializers' bytes. Compute is MACs. Activation memory is walked in the engine's execution
 * order (the topological order {@link io.nnzip.engine.Executor} runs), where a value lives from the step that
 * produces it to the step of its last reader (graph inputs from step 0, graph outputs to the end), as the engine
 * frees it; the peak is the largest sum of live bytes over the steps, and the values live there are listed.
 * Values that shape inference folds to constants are not activations.
 *
 * <p>The verdict puts the three on one scale, bytes a batch must move: the weights are read once per batch,
 * each activation is written once and read once, and the MACs cost {@code macs / balance} byte-equivalents for
 * a machine that sustains {@code balance} MACs per byte of memory traffic (a roofline's ridge point). The largest
 * of the three dominates. The peak says how much memory the activations need at once; the traffic, how much the
 * batch moves, which is what costs time.
 */
public final class Bottleneck {
    /** MACs per byte of DRAM traffic a 2-core AVX2/AVX-512 CPU sustains; the ridge point of its roofline. */
    public static final double DEFAULT_BALANCE = 8;

    public enum Resource {
        STORAGE("storage", "prune --method magnitude (sparse weights), quantize --scheme int8|int4|kmeans:B|binary, factorize, encode (.nnz entropy coding)"),
        COMPUTE("compute", "prune --structured, factorize --target-macs, redesign --depthwise-separable, distill, dynamic --exits, quantize --scheme int8|binary (cheaper MACs)"),
        ACTIVATIONS("activation memory", "quantize --scheme int8 (8-bit activations) or fp16, prune --structured (fewer channels), redesign, a smaller --batch");

        public final String label;
        public final String methods;

        Resource(String label, String methods) {
            this.label = label;
            this.methods = methods;
        }
    }

    /** One step of execution: the node, its own weights, its MACs, its outputs' bytes and all bytes live while it runs. */
    public record Layer(int step, String node, String op, long paramBytes, long macs, long outputBytes, long liveBytes) {}

    public record Live(String name, int[] shape, long bytes) {}

    public final List<Layer> layers = new ArrayList<>();
    public final List<Live> peakTensors = new ArrayList<>();
    public long storageBytes, macs, peakBytes, activationTraffic;
    public int peakStep = -1;
    public final int batch;
    public final double balance;
    /** Non-null when some shapes were unknown, so numbers are lower bounds. */
    public String note;

    private Bottleneck(int batch, double balance) {
        this.batch = batch;
        this.balance = balance;
    }

    public static Bottleneck of(Model m, int batch) { return of(m, batch, DEFAULT_BALANCE); }

    public static Bottleneck of(Model m, int batch, double balance) {
        Bottleneck b = new Bottleneck(batch, balance);
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), batch, Map.of());
        List<Node> order = TopoSort.order(g.nodes());
        int end = order.size() - 1;
        Map<String, Integer> born = new LinkedHashMap<>(), dies = new HashMap<>();
        for (ValueInfo v : g.runtimeInputs()) born.put(v.name(), 0);
        for (int i = 0; i < order.size(); i++) {
            for (String in : TopoSort.allInputs(order.get(i))) if (born.containsKey(in)) dies.put(in, i);
            for (String out : order.get(i).outputs()) if (!out.isEmpty()) born.put(out, i);
        }
        for (String o : g.outputNames()) dies.put(o, end);
        Map<String, Long> bytes = new HashMap<>();
        for (String v : born.keySet()) {
            long n = b.activationBytes(v, types.get(v));
            if (n > 0) bytes.put(v, n);
            b.activationTraffic += 2 * n;
        }
        for (Tensor t : g.initializers().values()) b.storageBytes += t.byteSize();
        Set<String> counted = new HashSet<>();
        for (int i = 0; i < order.size(); i++) {
            Node n = order.get(i);
            long own = 0, out = 0, live = 0;
            for (String in : n.inputs()) if (g.isInitializer(in) && counted.add(in)) own += g.initializers().get(in).byteSize();
            for (String o : n.outputs()) out += bytes.getOrDefault(o, 0L);
            for (Map.Entry<String, Long> e : bytes.entrySet()) if (alive(e.getKey(), i, born, dies)) live += e.getValue();
            long mac = macs(n, types);
            b.macs += Math.max(0, mac);
            if (mac < 0 && b.note == null) b.note = "MACs unknown at " + n.describe();
            b.layers.add(new Layer(i, n.name().isEmpty() ? n.output(0) : n.name(), n.opType(), own, mac, out, live));
            if (live > b.peakBytes) {
                b.peakBytes = live;
                b.peakStep = i;
            }
        }
        if (b.peakStep >= 0)
            for (Map.Entry<String, Long> e : bytes.entrySet())
                if (alive(e.getKey(), b.peakStep, born, dies)) b.peakTensors.add(new Live(e.getKey(), types.get(e.getKey()).shape(), e.getValue()));
        b.peakTensors.sort((x, y) -> Long.compare(y.bytes(), x.bytes()));
        return b;
    }

    private static boolean alive(String v, int step, Map<String, Integer> born, Map<String, Integer> dies) {
        int from = born.get(v);
        return from <= step && step <= dies.getOrDefault(v, from);
    }

    private long activationBytes(String v, ValueType t) {
        if (t == null || t.isConstant() || !t.isConcrete()) {
            if (t != null && !t.isConstant() && note == null) note = "shape of '" + v + "' unknown";
            return 0;
        }
        return t.dtype() == null ? 4L * t.numel() : t.dtype().rawBytes(t.numel());
    }

    private static long macs(Node n, Map<String, ValueType> types) {
        ValueType[] in = new ValueType[n.inputs().size()];
        for (int i = 0; i < in.length; i++) in[i] = n.input(i).isEmpty() ? null : types.get(n.input(i));
        ValueType[] out = new ValueType[n.outputs().size()];
        for (int i = 0; i < out.length; i++) out[i] = types.get(n.output(i));
        return Macs.of(n, in, out);
    }

    /** MACs as the bytes of traffic that would take as long on a machine of this balance. */
    public double computeByteEquivalent() { return macs / balance; }

    public Resource dominant() {
        double compute = computeByteEquivalent();
        if (compute >= activationTraffic && compute >= storageBytes) return Resource.COMPUTE;
        return storageBytes >= activationTraffic ? Resource.STORAGE : Resource.ACTIVATIONS;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> r = new LinkedHashMap<>();
        Resource d = dominant();
        r.put("batch", batch);
        r.put("storage_bytes", storageBytes);
        r.put("macs", macs);
        r.put("peak_activation_bytes", peakBytes);
        r.put("activation_traffic_bytes", activationTraffic);
        r.put("balance_macs_per_byte", balance);
        r.put("compute_byte_equivalent", (long) computeByteEquivalent());
        r.put("dominant", d.label);
        r.put("methods", d.methods);
        if (note != null) r.put("note", note);
        r.put("peak_step", peakStep);
        r.put("peak_node", peakStep < 0 ? null : layers.get(peakStep).node());
        List<Map<String, Object>> live = new ArrayList<>();
        for (Live l : peakTensors) live.add(Map.of("name", l.name(), "shape", java.util.Arrays.toString(l.shape()), "bytes", l.bytes()));
        r.put("peak_tensors", live);
        List<Map<String, Object>> ls = new ArrayList<>();
        for (Layer l : layers) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("step", l.step());
            x.put("node", l.node());
            x.put("op", l.op());
            x.put("param_bytes", l.paramBytes());
            x.put("macs", l.macs());
            x.put("output_bytes", l.outputBytes());
            x.put("live_bytes", l.liveBytes());
            ls.add(x);
        }
        r.put("layers", ls);
        return r;
    }
}
