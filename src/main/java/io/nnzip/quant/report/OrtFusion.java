package io.nnzip.quant.report;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What ONNX Runtime turns a QDQ model into: the op counts of the graph ORT actually executes (written through
 * SessionOptions.setOptimizedModelFilePath at ALL_OPT). QLinearConv / QGemm / QLinearMatMul there, and no
 * leftover DequantizeLinear between them, is the evidence that the integer chains fused.
 */
public final class OrtFusion {
    private OrtFusion() {}

    public static Map<String, Integer> optimizedOpCounts(Model m, int threads) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("nnzip-ort-optimized", ".onnx");
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setIntraOpNumThreads(Math.max(1, threads));
            o.setOptimizedModelFilePath(tmp.toString());
            // ORT warns that such a dump is hardware-specific; we only count its ops
            o.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            try (OrtSession s = OrtEnvironment.getEnvironment().createSession(OnnxWriter.toBytes(m), o)) {
                s.getNumInputs();
            }
            Map<String, Integer> counts = new TreeMap<>();
            for (Node n : OnnxReader.read(tmp).graph().nodes()) counts.merge(n.opType(), 1, Integer::sum);
            return counts;
        } catch (OrtException | IOException e) {
            throw new NnzipException("cannot inspect ONNX Runtime's optimized graph: " + e.getMessage());
        } finally {
            if (tmp != null) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* temp file */ }
        }
    }
}
