package io.nnzip.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Dim;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.onnx.proto.Onnx;
import io.nnzip.onnx.proto.Onnx.AttributeProto;
import io.nnzip.onnx.proto.Onnx.GraphProto;
import io.nnzip.onnx.proto.Onnx.ModelProto;
import io.nnzip.onnx.proto.Onnx.NodeProto;
import io.nnzip.onnx.proto.Onnx.TensorProto;
import io.nnzip.util.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the IR as an ONNX ModelProto. Numeric tensors go in raw_data. Models whose weights would push the
 * protobuf past its 2 GiB limit put large initializers in a sibling {@code <file>.data}, as ONNX's external data.
 */
public final class OnnxWriter {
    /** Above this total initializer size, large tensors move to an external data file. */
    public static final long EXTERNAL_THRESHOLD = 1_800_000_000L;
    private static final long EXTERNAL_MIN_TENSOR = 1024;

    private OnnxWriter() {}

    public static byte[] toBytes(Model m) { return proto(m, null).toByteArray(); }

    public static void write(Model m, Path file) { write(m, file, totalBytes(m.graph()) > EXTERNAL_THRESHOLD); }

    public static void write(Model m, Path file, boolean externalData) {
        if (!externalData) {
            ModelProto p = proto(m, null);
            AtomicFiles.write(file, p::writeTo);
            return;
        }
        String dataName = file.getFileName() + ".data";
        ExternalDataSink sink = new ExternalDataSink(dataName);
        ModelProto p = proto(m, sink);
        java.util.Map<Path, AtomicFiles.Writer> files = new java.util.LinkedHashMap<>();
        files.put(file.resolveSibling(dataName), sink::writeTo);
        files.put(file, p::writeTo);
        AtomicFiles.writeAll(files); // the model and its data appear together or not at all
    }

    static long totalBytes(Graph g) {
        long s = 0;
        for (Tensor t : g.initializers().values()) s += t.byteSize();
        return s;
    }

    public static ModelProto proto(Model m, ExternalDataSink sink) {
        ModelProto.Builder b = ModelProto.newBuilder().setIrVersion(m.irVersion());
        for (Map.Entry<String, Long> e : m.opsets().entrySet())
            b.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        if (!m.producerName().isEmpty()) b.setProducerName(m.producerName());
        if (!m.producerVersion().isEmpty()) b.setProducerVersion(m.producerVersion());
        if (!m.domain().isEmpty()) b.setDomain(m.domain());
        if (m.modelVersion() != 0) b.setModelVersion(m.modelVersion());
        if (!m.docString().isEmpty()) b.setDocString(m.docString());
        m.metadata().forEach((k, v) -> b.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        for (byte[] f : m.functions()) {
            try {
                b.addFunctions(Onnx.FunctionProto.parseFrom(f));
            } catch (InvalidProtocolBufferException e) {
                throw new NnzipException("corrupt function carried in model: " + e.getMessage());
            }
        }
        b.setGraph(graph(m.graph(), sink));
        return b.build();
    }

    static GraphProto graph(Graph g, ExternalDataSink sink) {
        GraphProto.Builder b = GraphProto.newBuilder();
        if (!g.name().isEmpty()) b.setName(g.name());
        if (!g.docString().isEmpty()) b.setDocString(g.docString());
        for (Node n : g.nodes()) b.addNode(node(n));
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            Tensor t = e.getValue();
            if (sink != null && t.byteSize() >= EXTERNAL_MIN_TENSOR && t.dtype() != io.nnzip.ir.DType.STRING)
                b.addInitializer(sink.add(e.getKey(), t));
            else b.addInitializer(TensorProtos.write(e.getKey(), t));
        }
        for (ValueInfo v : g.inputs()) b.addInput(valueInfo(v));
        for (ValueInfo v : g.outputs()) b.addOutput(valueInfo(v));
        for (ValueInfo v : g.valueInfo().values()) b.addValueInfo(valueInfo(v));
        return b.build();
    }

    private static NodeProto node(Node n) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(n.opType()).addAllInput(n.inputs()).addAllOutput(n.outputs());
        if (!n.name().isEmpty()) b.setName(n.name());
        if (!n.domain().isEmpty()) b.setDomain(n.domain());
        if (!n.docString().isEmpty()) b.setDocString(n.docString());
        for (Attribute a : n.attributes().values()) b.addAttribute(attribute(a));
        return b.build();
    }

    private static AttributeProto attribute(Attribute a) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(a.name());
        switch (a.type()) {
            case FLOAT -> b.setType(AttributeProto.AttributeType.FLOAT).setF((Float) a.value());
            case INT -> b.setType(AttributeProto.AttributeType.INT).setI((Long) a.value());
            case STRING -> b.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFrom((String) a.value(), StandardCharsets.UTF_8));
            case TENSOR -> b.setType(AttributeProto.AttributeType.TENSOR).setT(TensorProtos.write("", (Tensor) a.value()));
            case GRAPH -> b.setType(AttributeProto.AttributeType.GRAPH).setG(graph((Graph) a.value(), null));
            case FLOATS -> {
                b.setType(AttributeProto.AttributeType.FLOATS);
                for (float f : (float[]) a.value()) b.addFloats(f);
            }
            case INTS -> {
                b.setType(AttributeProto.AttributeType.INTS);
                for (long l : (long[]) a.value()) b.addInts(l);
            }
            case STRINGS -> {
                b.setType(AttributeProto.AttributeType.STRINGS);
                for (String s : (String[]) a.value()) b.addStrings(ByteString.copyFrom(s, StandardCharsets.UTF_8));
            }
            case TENSORS -> {
                b.setType(AttributeProto.AttributeType.TENSORS);
                for (Object t : (List<?>) a.value()) b.addTensors(TensorProtos.write("", (Tensor) t));
            }
            case GRAPHS -> {
                b.setType(AttributeProto.AttributeType.GRAPHS);
                for (Object g : (List<?>) a.value()) b.addGraphs(graph((Graph) g, null));
            }
            case OPAQUE -> {
                try {
                    return AttributeProto.parseFrom((byte[]) a.value());
                } catch (InvalidProtocolBufferException e) {
                    throw new NnzipException("corrupt opaque attribute " + a.name());
                }
            }
        }
        return b.build();
    }

    static Onnx.ValueInfoProto valueInfo(ValueInfo v) {
        Onnx.ValueInfoProto.Builder b = Onnx.ValueInfoProto.newBuilder().setName(v.name());
        if (v.dtype() == null && v.dims() == null) return b.build();
        Onnx.TypeProto.Tensor.Builder tt = Onnx.TypeProto.Tensor.newBuilder();
        if (v.dtype() != null) tt.setElemType(v.dtype().onnx);
        if (v.dims() != null) {
            Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
            for (Dim d : v.dims()) {
                Onnx.TensorShapeProto.Dimension.Builder db = Onnx.TensorShapeProto.Dimension.newBuilder();
                if (d.known()) db.setDimValue(d.value());
                else if (d.param() != null) db.setDimParam(d.param());
                s.addDim(db);
            }
            tt.setShape(s);
        }
        return b.setType(Onnx.TypeProto.newBuilder().setTensorType(tt)).build();
    }

    /** Collects large tensors into one external data file, recording location/offset/length per tensor. */
    public static final class ExternalDataSink {
        private final String location;
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

        ExternalDataSink(String location) { this.location = location; }

        TensorProto add(String name, Tensor t) {
            // 4 KiB alignment lets readers map tensors directly
            while (buf.size() % 4096 != 0) buf.write(0);
            long offset = buf.size();
            byte[] raw = TensorProtos.toRaw(t);
            buf.writeBytes(raw);
            TensorProto.Builder p = TensorProto.newBuilder().setName(name).setDataType(t.dtype().onnx)
                    .setDataLocation(TensorProto.DataLocation.EXTERNAL);
            for (int d : t.shape()) p.addDims(d);
            p.addExternalData(entry("location", location)).addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Long.toString(raw.length)));
            return p.build();
        }

        private static Onnx.StringStringEntryProto entry(String k, String v) {
            return Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
        }

        void writeTo(java.io.OutputStream out) throws java.io.IOException { buf.writeTo(out); }
    }
}
