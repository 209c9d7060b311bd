package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.format.NnzReader;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The encoder loads each tensor once, on demand; the streaming decoder hands tensors out one by one. */
class StreamingEncodeTest {
    @Test
    void tensorsAreLoadedOneByOneAndTheStreamDecodesToTheModel() {
        Model full = SyntheticModels.cnn(1, 4, 8, 16);
        Model graphOnly = full.copy();
        List<String> names = new ArrayList<>(graphOnly.graph().initializers().keySet());
        graphOnly.graph().initializers().clear();
        AtomicInteger loads = new AtomicInteger();
        TensorSource src = new TensorSource() {
            @Override
            public Model graph() { return graphOnly; }

            @Override
            public List<String> names() { return names; }

            @Override
            public Tensor load(String name) {
                loads.incrementAndGet();
                return full.graph().initializer(name).copy();
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelEncoder.encode(src, CodecOptions.losslessMode().withThreads(2), out);
        assertTrue(loads.get() == names.size(), "each tensor loaded exactly once");
        // Read back through an InputStream, as a streaming receiver would.
        NnzReader r = new NnzReader(new ByteArrayInputStream(out.toByteArray()), "stream");
        Model back = StreamDecoder.decodeAll(r, null).values().iterator().next();
        assertArrayEquals(OnnxWriter.toBytes(full), OnnxWriter.toBytes(back));
    }

    @Test
    void aStreamDecodesTensorByTensorInOrderToWhatTheWholeModelDecoderGives() {
        Model full = SyntheticModels.withHalfTensors(SyntheticModels.cnn(2, 4, 8, 16), 3);
        byte[] nnz = NnzCodec.encode(full, CodecOptions.defaults());
        Model whole = NnzCodec.decode(nnz);
        List<String> got = new ArrayList<>();
        List<String> dir = new ArrayList<>();
        int n = StreamingDecoder.decode(new ByteArrayInputStream(nnz), "s", new StreamingDecoder.TensorSink() {
            @Override
            public void graph(Model graph, List<String> directory) {
                assertTrue(got.isEmpty(), "graph comes first");
                dir.addAll(directory);
                for (String name : directory) assertTrue(graph.graph().initializer(name) == null, name + " is not in the graph");
            }

            @Override
            public void tensor(String name, Tensor t) {
                got.add(name);
                assertArrayEquals(io.nnzip.onnx.TensorProtos.toRaw(whole.graph().initializer(name)), io.nnzip.onnx.TensorProtos.toRaw(t), name);
            }
        }, 2);
        assertTrue(n == dir.size() && got.equals(dir), "every tensor once, in stream order: " + got);
    }

    @Test
    void aCutStreamEndsInAFormatErrorNotAPartialSuccess() {
        byte[] nnz = NnzCodec.encode(SyntheticModels.cnn(2, 4, 8, 16), CodecOptions.defaults());
        byte[] cut = java.util.Arrays.copyOf(nnz, nnz.length - 3);
        StreamingDecoder.TensorSink ignore = new StreamingDecoder.TensorSink() {
            @Override
            public void graph(Model graph, List<String> directory) {}

            @Override
            public void tensor(String name, Tensor t) {}
        };
        org.junit.jupiter.api.Assertions.assertThrows(io.nnzip.codec.format.NnzFormatException.class,
                () -> StreamingDecoder.decode(new ByteArrayInputStream(cut), "cut", ignore, 2));
    }
}
