package io.nnzip.eval.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * An ONNX Runtime session prepared for timing: the same options as {@link io.nnzip.eval.OrtRunner} (ALL_OPT,
 * sequential, explicit intra-op threads), with the input tensors converted once up front so a timed call is only
 * ORT's own run (output allocation included, Java-side conversion excluded).
 */
final class OrtTimed implements AutoCloseable {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();

    OrtTimed(Model m, int threads, Map<String, Tensor> feeds) {
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setIntraOpNumThreads(Math.max(1, threads));
            o.setInterOpNumThreads(1);
            session = ENV.createSession(OnnxWriter.toBytes(m), o);
            for (Map.Entry<String, Tensor> e : feeds.entrySet()) inputs.put(e.getKey(), toOrt(e.getValue()));
        } catch (OrtException e) {
            throw new NnzipException("ONNX Runtime rejected the benchmark model: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static OnnxTensor toOrt(Tensor t) throws OrtException {
        long[] shape = java.util.Arrays.stream(t.shape()).mapToLong(i -> i).toArray();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(ENV, FloatBuffer.wrap(t.floats()), shape);
            case INT64 -> OnnxTensor.createTensor(ENV, LongBuffer.wrap(t.longs()), shape);
            default -> throw new NnzipException("bench feeds must be float32 or int64, got " + t.dtype().lower());
        };
    }

    void run() {
        try (OrtSession.Result r = session.run(inputs)) {
            if (r.size() == 0) throw new IllegalStateException("no outputs");
        } catch (OrtException e) {
            throw new NnzipException("ONNX Runtime failed: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    @Override
    public void close() {
        inputs.values().forEach(OnnxTensor::close);
        try {
            session.close();
        } catch (OrtException ignored) {
            // already closed
        }
    }
}
