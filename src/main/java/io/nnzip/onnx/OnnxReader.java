package io.nnzip.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
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
import io.nnzip.onnx.proto.Onnx.TypeProto;
import io.nnzip.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads an ONNX ModelProto into the IR. Malformed input ends in an {@link NnzipException} naming the file. */
public final class OnnxReader {
    private final Path baseDir;

    private OnnxReader(Path baseDir) { this.baseDir = baseDir; }

    public static Model read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NnzipException("no such file: " + file);
        } catch (IOException e) {
            throw new NnzipException("cannot read " + file + ": " + e.getMessage());
        }
        try {
            return read(bytes, file.toAbsolutePath().getParent());
        } catch (NnzipException e) {
            throw new NnzipException(file + ": " + e.getMessage(), e);
        }
    }

    public static Model read(byte[] bytes, Path baseDir) {
        ModelProto p;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(256);
            in.setSizeLimit(Integer.MAX_VALUE);
            p = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            String why = e.getMessage() == null ? "corrupt" : e.getMessage().replace('\n', ' ');
            int dot = why.indexOf(". ");
            throw new NnzipException("not a valid ONNX model (" + (dot > 0 ? why.substring(0, dot) : why) + ")");
        } catch (IOException e) {
            throw new NnzipException("cannot parse ONNX model: " + e.getMessage());
        }
        if (!p.hasGraph() || p.getIrVersion() <= 0)
            throw new NnzipException("not an ONNX model (no " + (p.hasGraph() ? "ir_version" : "graph") + " field)");
        return new OnnxReader(baseDir).model(p);
    }

    private Model model(ModelProto p) {
        Model m = new Model(graph(p.getGraph()));
        m.setIrVersion(p.getIrVersion());
        m.opsets().clear();
        for (Onnx.OperatorSetIdProto o : p.getOpsetImportList()) m.opsets().put(o.getDomain(), o.getVersion());
        // no opset_import stays empty: ModelValidator names it, instead of guessing a version
        m.setProducerName(p.getProducerName());
        m.setProducerVersion(p.getProducerVersion());
        m.setDomain(p.getDomain());
        m.setModelVersion(p.getModelVersion());
        m.setDocString(p.getDocString());
        for (Onnx.StringStringEntryProto e : p.getMetadataPropsList()) m.metadata().put(e.getKey(), e.getValue());
        for (Onnx.FunctionProto f : p.getFunctionsList()) m.functions().add(f.toByteArray());
        return m;
    }

    Graph graph(GraphProto p) {
        Graph g = new Graph(p.getName());
        g.setDocString(p.getDocString());
        for (Onnx.TensorProto t : p.getInitializerList()) {
            if (t.getName().isEmpty()) throw new NnzipException("graph '" + p.getName() + "' has an initializer without a name");
            if (g.initializers().put(t.getName(), TensorProtos.read(t, baseDir)) != null)
                throw new NnzipException("graph '" + p.getName() + "' has two initializers named '" + t.getName() + "'");
        }
        for (Onnx.SparseTensorProto s : p.getSparseInitializerList()) {
            Tensor dense = SparseTensors.densify(s, baseDir);
            if (g.initializers().put(s.getValues().getName(), dense) != null)
                throw new NnzipException("graph '" + p.getName() + "' has two initializers named '" + s.getValues().getName() + "'");
        }
        for (ValueInfoProto v : p.getInputList()) g.inputs().add(valueInfo(v));
        for (ValueInfoProto v : p.getOutputList()) g.outputs().add(valueInfo(v));
        for (ValueInfoProto v : p.getValueInfoList()) g.valueInfo().put(v.getName(), valueInfo(v));
        for (NodeProto n : p.getNodeList()) g.nodes().add(node(n));
        return g;
    }

    private Node node(NodeProto p) {
        Node n = new Node(p.getName(), p.getOpType(), p.getDomain(), p.getInputList(), p.getOutputList());
        n.setDocString(p.getDocString());
        for (AttributeProto a : p.getAttributeList()) {
            // the IR keeps one value per name, so a repeated attribute must be refused here, where both are seen
            if (n.has(a.getName())) throw new NnzipException(n.describe() + " has attribute '" + a.getName() + "' twice");
            n.set(attribute(a, n));
        }
        return n;
    }

    private Attribute attribute(AttributeProto a, Node owner) {
        AttributeProto.AttributeType t = a.getType();
        if (t == AttributeProto.AttributeType.UNDEFINED) t = guessType(a);
        String name = a.getName();
        return switch (t) {
            case FLOAT -> Attribute.of(name, a.getF());
            case INT -> Attribute.of(name, a.getI());
            case STRING -> Attribute.of(name, a.getS().toStringUtf8());
            case TENSOR -> Attribute.of(name, TensorProtos.read(a.getT(), baseDir));
            case GRAPH -> Attribute.of(name, graph(a.getG()));
            case FLOATS -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                yield Attribute.of(name, f);
            }
            case INTS -> Attribute.of(name, a.getIntsList().stream().mapToLong(Long::longValue).toArray());
            case STRINGS -> Attribute.of(name, a.getStringsList().stream().map(s -> s.toStringUtf8()).toArray(String[]::new));
            case TENSORS -> Attribute.tensors(name, a.getTensorsList().stream().map(x -> TensorProtos.read(x, baseDir)).toList());
            case GRAPHS -> Attribute.graphs(name, a.getGraphsList().stream().map(this::graph).toList());
            default -> new Attribute(name, Attribute.Type.OPAQUE, a.toByteArray());
        };
    }

    private static AttributeProto.AttributeType guessType(AttributeProto a) {
        if (a.hasF()) return AttributeProto.AttributeType.FLOAT;
        if (a.hasI()) return AttributeProto.AttributeType.INT;
        if (a.hasS()) return AttributeProto.AttributeType.STRING;
        if (a.hasT()) return AttributeProto.AttributeType.TENSOR;
        if (a.hasG()) return AttributeProto.AttributeType.GRAPH;
        if (a.getFloatsCount() > 0) return AttributeProto.AttributeType.FLOATS;
        if (a.getIntsCount() > 0) return AttributeProto.AttributeType.INTS;
        if (a.getStringsCount() > 0) return AttributeProto.AttributeType.STRINGS;
        if (a.getTensorsCount() > 0) return AttributeProto.AttributeType.TENSORS;
        if (a.getGraphsCount() > 0) return AttributeProto.AttributeType.GRAPHS;
        return AttributeProto.AttributeType.UNDEFINED;
    }

    static ValueInfo valueInfo(ValueInfoProto v) {
        if (!v.hasType() || !v.getType().hasTensorType()) return new ValueInfo(v.getName(), null, null);
        TypeProto.Tensor tt = v.getType().getTensorType();
        DType dtype = tt.hasElemType() && tt.getElemType() != 0 ? DType.fromOnnx(tt.getElemType()) : null;
        List<Dim> dims = null;
        if (tt.hasShape()) {
            dims = new ArrayList<>();
            for (Onnx.TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
                if (d.hasDimValue()) dims.add(Dim.of(d.getDimValue()));
                else if (d.hasDimParam()) dims.add(Dim.param(d.getDimParam()));
                else dims.add(Dim.UNKNOWN);
            }
        }
        return new ValueInfo(v.getName(), dtype, dims);
    }
}
