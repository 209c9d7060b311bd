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

/** The encoder can take a graph without weights plus a loader, and loads each tensor once, on demand. */
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
}
