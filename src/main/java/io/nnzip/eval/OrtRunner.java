package io.nnzip.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime as deployment target and numerical oracle. Sessions use every graph optimization (ALL_OPT),
 * sequential execution and an explicit intra-op thread count, as a deployment would.
 */
public final class OrtRunner implements AutoCloseable {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OrtRunner(Model m, int threads) { this(OnnxWriter.toBytes(m), threads); }

    /**
     * A session over a copy of {@code m} whose outputs also include the intermediate values {@code names}, so one run
     * returns them beside the graph outputs (calibration, probing). Names already among the outputs are not repeated.
     */
    public static OrtRunner exposing(Model m, java.util.Collection<String> names, int threads) {
        Model copy = m.copy();
        java.util.Set<String> have = new java.util.HashSet<>(copy.graph().outputNames());
        // the declared type when the graph knows it (float16 values stay float16), else left to ONNX Runtime
        java.util.Map<String, io.nnzip.ir.ValueInfo> known = copy.graph().valueInfo();
        for (String n : names) if (have.add(n)) copy.graph().outputs().add(new io.nnzip.ir.ValueInfo(n, known.containsKey(n) ? known.get(n).dtype() : null, null));
        return new OrtRunner(copy, threads);
    }

    public OrtRunner(byte[] model, int threads) {
        try {
            session = ENV.createSession(model, options(threads));
        } catch (OrtException e) {
            throw new NnzipException("ONNX Runtime rejected the model: " + firstLine(e.getMessage()));
        }
    }

    public OrtRunner(Path model, int threads) {
        try {
            session = ENV.createSession(model.toString(), options(threads));
        } catch (OrtException e) {
            throw new NnzipException("ONNX Runtime rejected " + model + ": " + firstLine(e.getMessage()));
        }
    }

    private static OrtSession.SessionOptions options(int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setIntraOpNumThreads(Math.max(1, threads));
        o.setInterOpNumThreads(1);
        // warnings (legacy opsets, transpose-optimizer notes) are noise in a CLI; errors still surface as exceptions
        o.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        return o;
    }

    static String firstLine(String s) {
        if (s == null) return "unknown error";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    public java.util.Set<String> inputNames() { return session.getInputNames(); }

    public java.util.Set<String> outputNames() { return session.getOutputNames(); }

    public Map<String, Tensor> run(Map<String, Tensor> feeds) {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : feeds.entrySet()) in.put(e.getKey(), toOrt(e.getValue()));
            try (OrtSession.Result r = session.run(in)) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) out.put(e.getKey(), fromOrt((OnnxTensor) e.getValue()));
                return out;
            }
        } catch (OrtException e) {
            throw new NnzipException("ONNX Runtime failed: " + firstLine(e.getMessage()));
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * Inputs already converted to ONNX Runtime's native tensors, for timing: converting a batch of images (copying it
     * into a fresh direct buffer) costs milliseconds per run, a constant that is not the model's latency and that
     * would make every before/after ratio look closer to 1.
     */
    public final class Prepared implements AutoCloseable {
        private final Map<String, OnnxTensor> in = new HashMap<>();
        private final boolean ownsSession;

        private Prepared(Map<String, Tensor> feeds, boolean ownsSession) throws OrtException {
            this.ownsSession = ownsSession;
            for (Map.Entry<String, Tensor> e : feeds.entrySet()) in.put(e.getKey(), toOrt(e.getValue()));
        }

        /** One run whose outputs are released unread. */
        public void run() {
            try (OrtSession.Result r = session.run(in)) {
                // outputs are not needed: only the run's duration is
            } catch (OrtException e) {
                throw new NnzipException("ONNX Runtime failed: " + firstLine(e.getMessage()));
            }
        }

        @Override
        public void close() {
            in.values().forEach(OnnxTensor::close);
            if (ownsSession) OrtRunner.this.close();
        }
    }

    public Prepared prepare(Map<String, Tensor> feeds) { return prepare(feeds, false); }

    /** A session over {@code m} with {@code feeds} prepared; closing the result closes the session too. */
    public static Prepared timed(Model m, int threads, Map<String, Tensor> feeds) {
        OrtRunner r = new OrtRunner(m, threads);
        try {
            return r.prepare(feeds, true);
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private Prepared prepare(Map<String, Tensor> feeds, boolean owns) {
        try {
            return new Prepared(feeds, owns);
        } catch (OrtException e) {
            throw new NnzipException("ONNX Runtime rejected an input: " + firstLine(e.getMessage()));
        }
    }

    static OnnxTensor toOrt(Tensor t) throws OrtException {
        long[] shape = java.util.Arrays.stream(t.shape()).mapToLong(i -> i).toArray();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(ENV, FloatBuffer.wrap(t.floats()), shape);
            case DOUBLE -> OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(t.doubles()), shape);
            case INT64 -> OnnxTensor.createTensor(ENV, LongBuffer.wrap(t.longs()), shape);
            case INT32 -> OnnxTensor.createTensor(ENV, IntBuffer.wrap(t.ints()), shape);
            case INT8 -> OnnxTensor.createTensor(ENV, ByteBuffer.wrap(t.bytes()), shape);
            case UINT8 -> OnnxTensor.createTensor(ENV, ByteBuffer.wrap(t.bytes()), shape, ai.onnxruntime.OnnxJavaType.UINT8);
            case BOOL -> OnnxTensor.createTensor(ENV, ByteBuffer.wrap(t.bytes()), shape, ai.onnxruntime.OnnxJavaType.BOOL);
            case FLOAT16 -> OnnxTensor.createTensor(ENV, ShortBuffer.wrap(t.shorts()), shape, ai.onnxruntime.OnnxJavaType.FLOAT16);
            default -> throw new NnzipException("cannot pass a " + t.dtype().lower() + " tensor to ONNX Runtime");
        };
    }

    static Tensor fromOrt(OnnxTensor v) {
        int[] shape = java.util.Arrays.stream(v.getInfo().getShape()).mapToInt(l -> (int) l).toArray();
        ByteBuffer raw = v.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        DType t = switch (v.getInfo().type) {
            case FLOAT -> DType.FLOAT;
            case DOUBLE -> DType.DOUBLE;
            case INT64 -> DType.INT64;
            case INT32 -> DType.INT32;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case BOOL -> DType.BOOL;
            case FLOAT16 -> DType.FLOAT16;
            default -> throw new NnzipException("ONNX Runtime returned an unsupported type " + v.getInfo().type);
        };
        Tensor out = Tensor.zeros(t, shape);
        switch (t) {
            case FLOAT -> raw.asFloatBuffer().get(out.floats());
            case DOUBLE -> raw.asDoubleBuffer().get(out.doubles());
            case INT64 -> raw.asLongBuffer().get(out.longs());
            case INT32 -> raw.asIntBuffer().get(out.ints());
            case FLOAT16 -> raw.asShortBuffer().get(out.shorts());
            default -> raw.get(out.bytes());
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException ignored) {
            // closing a session only fails if it is already closed
        }
    }
}
