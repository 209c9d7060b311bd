package io.nnzip.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model: the main graph plus what ONNX keeps around it (IR version, opset imports, producer, metadata).
 * Metadata is where nnzip records provenance and the input normalization a model expects.
 */
public final class Model {
    public static final long DEFAULT_IR_VERSION = 8;
    public static final long DEFAULT_OPSET = 17;

    private long irVersion = DEFAULT_IR_VERSION;
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private String producerName = "nnzip";
    private String producerVersion = Version.VERSION;
    private String domain = "";
    private long modelVersion;
    private String docString = "";
    private final Map<String, String> metadata = new LinkedHashMap<>();
    /** Serialized FunctionProtos, carried through untouched. */
    private final List<byte[]> functions = new ArrayList<>();
    private Graph graph;

    public Model(Graph graph) {
        this.graph = graph;
        opsets.put("", DEFAULT_OPSET);
    }

    public Graph graph() { return graph; }

    public void setGraph(Graph g) { graph = g; }

    public long irVersion() { return irVersion; }

    public void setIrVersion(long v) { irVersion = v; }

    /** Domain ("" for the default ONNX domain) → opset version. */
    public Map<String, Long> opsets() { return opsets; }

    /** The default-domain opset version, the one that selects op semantics. */
    public int opset() { return opsets.getOrDefault("", opsets.getOrDefault("ai.onnx", DEFAULT_OPSET)).intValue(); }

    public String producerName() { return producerName; }

    public void setProducerName(String s) { producerName = s == null ? "" : s; }

    public String producerVersion() { return producerVersion; }

    public void setProducerVersion(String s) { producerVersion = s == null ? "" : s; }

    public String domain() { return domain; }

    public void setDomain(String s) { domain = s == null ? "" : s; }

    public long modelVersion() { return modelVersion; }

    public void setModelVersion(long v) { modelVersion = v; }

    public String docString() { return docString; }

    public void setDocString(String s) { docString = s == null ? "" : s; }

    public Map<String, String> metadata() { return metadata; }

    public List<byte[]> functions() { return functions; }

    public Model copy() {
        Model m = new Model(graph.copy());
        m.irVersion = irVersion;
        m.opsets.clear();
        m.opsets.putAll(opsets);
        m.producerName = producerName;
        m.producerVersion = producerVersion;
        m.domain = domain;
        m.modelVersion = modelVersion;
        m.docString = docString;
        m.metadata.putAll(metadata);
        m.functions.addAll(functions);
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Model m && irVersion == m.irVersion && opsets.equals(m.opsets) && producerName.equals(m.producerName)
                && producerVersion.equals(m.producerVersion) && domain.equals(m.domain) && modelVersion == m.modelVersion
                && docString.equals(m.docString) && metadata.equals(m.metadata) && graph.equals(m.graph);
    }

    @Override
    public int hashCode() { return graph.hashCode(); }
}
