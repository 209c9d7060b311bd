package io.nnzip.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.cli.Main;
import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a live server: push as an update, a refused push, and a FedAvg round checked against a hand mean. */
class PushAndRoundsTest {
    @TempDir
    Path dir;

    @Test
    void pushUpdateRefusedPushAndFedAvgRound() throws Exception {
        ModelRepository repo = new ModelRepository(dir.resolve("repo"), CodecOptions.defaults().withThreads(1));
        try (ModelServer s = new ModelServer(repo, new ModelServer.Config("127.0.0.1", 0, "tok", 1 << 20))) {
            Path tok = Files.writeString(dir.resolve("tok"), "tok"), bad = Files.writeString(dir.resolve("bad"), "nope");
            Path base = Path.of("src/test/resources/codec/v4/base.onnx");
            String m = s.url() + "/cnn";
            assertEquals(0, Main.run("push", m, base.toString(), "--token-file", tok.toString(), "--json"));
            // an edge client fine-tunes the version it pulled and sends only the update
            Path v1 = dir.resolve("v1.onnx");
            assertEquals(0, Main.run("pull", m + "@1", "-o", v1.toString(), "--json"));
            Path tuned = dir.resolve("tuned.onnx");
            OnnxWriter.write(SyntheticModels.finetune(OnnxReader.read(v1), 5, 0.02), tuned);
            assertEquals(0, Main.run("push", m, tuned.toString(), "--token-file", tok.toString(), "--base", "1", "--have", v1.toString(), "--json"));
            RepoIndex.Version v2 = repo.version("cnn", "2");
            assertEquals("update", v2.source());
            io.nnzip.codec.StepAssertions.assertWithinStep(OnnxReader.read(tuned), repo.readOnnx(v2.onnx()), CodecOptions.defaults());

            PrintStream err = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setErr(new PrintStream(captured, true));
            int code;
            try {
                code = Main.run("push", m, tuned.toString(), "--token-file", bad.toString());
            } finally {
                System.setErr(err);
            }
            assertNotEquals(0, code);
            assertTrue(captured.toString().contains("HTTP 403"), captured.toString());

            // round r1: two clients, 1 and 3 samples; the new version must be their weighted mean (within the step)
            Model a = SyntheticModels.finetune(OnnxReader.read(v1), 11, 0.05), b = SyntheticModels.finetune(OnnxReader.read(v1), 12, 0.05);
            Path pa = dir.resolve("a.onnx"), pb = dir.resolve("b.onnx");
            OnnxWriter.write(a, pa);
            OnnxWriter.write(b, pb);
            assertEquals(0, Main.run("push", m, pa.toString(), "--token-file", tok.toString(), "--base", "1", "--round", "r1", "--samples", "1"));
            assertEquals(0, Main.run("push", m, pb.toString(), "--token-file", tok.toString(), "--base", "1", "--round", "r1", "--samples", "3"));
            assertEquals(0, Main.run("aggregate", m, "--round", "r1", "--token-file", tok.toString(), "--json"));
            RepoIndex.Version v3 = repo.version("cnn", "3");
            assertEquals("fedavg:r1", v3.source());
            Model want = a.copy();
            for (Map.Entry<String, Tensor> e : want.graph().initializers().entrySet()) {
                if (e.getValue().dtype() != DType.FLOAT) continue;
                float[] x = a.graph().initializer(e.getKey()).floats(), y = b.graph().initializer(e.getKey()).floats(), z = new float[x.length];
                for (int i = 0; i < z.length; i++) z[i] = (float) ((1.0 * x[i] + 3.0 * y[i]) / 4);
                e.setValue(new Tensor(DType.FLOAT, e.getValue().shape(), z));
            }
            // two codings lie between the hand mean and the stored version: the pushed updates and the version itself
            assertWithin(want, repo.readOnnx(v3.onnx()), 2.0);
            assertNotEquals(0, Main.run("aggregate", m, "--round", "r1", "--token-file", tok.toString()));
        }
    }

    static void assertWithin(Model want, Model got, double steps) {
        for (Map.Entry<String, Tensor> e : want.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != DType.FLOAT) continue;
            float[] x = t.floats(), y = got.graph().initializer(e.getKey()).floats();
            double ss = 0;
            for (float v : x) ss += (double) v * v;
            double tol = steps * Math.sqrt(ss / x.length) * Math.pow(2, CodecOptions.DEFAULT_QP / 4.0) + 1e-6;
            for (int i = 0; i < x.length; i++) assertTrue(Math.abs(x[i] - y[i]) <= tol, e.getKey() + "[" + i + "] " + x[i] + " vs " + y[i]);
        }
    }
}
