package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.cli.Main;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodecCliTest {
    @TempDir
    Path dir;

    static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = Main.run(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, "nnzip " + String.join(" ", args) + " -> " + buf);
        return buf.toString();
    }

    // Labels = the model's own top-1 class, so the original scores 100 % on every split.
    private static int[] top1(Model m, float[] x, int n) {
        try (io.nnzip.eval.OrtRunner ort = new io.nnzip.eval.OrtRunner(m, 1)) {
            float[] y = ort.run(java.util.Map.of("input", io.nnzip.ir.Tensor.of(x, n, 1, 28, 28))).get("logits").floats();
            int[] out = new int[n];
            for (int i = 0; i < n; i++) for (int j = 1; j < 10; j++) if (y[i * 10 + j] > y[i * 10 + out[i]]) out[i] = j;
            return out;
        }
    }

    private static io.nnzip.ir.Tensor[] labelled(Model m, int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        int[] y = top1(m, x, n);
        long[] yl = new long[n];
        for (int i = 0; i < n; i++) yl[i] = y[i];
        return new io.nnzip.ir.Tensor[] {io.nnzip.ir.Tensor.of(x, n, 28, 28), io.nnzip.ir.Tensor.ofLongs(yl, n)};
    }

    @Test
    void maxDropSearchesOnHeldOutTrainingImagesAndReportsTheTestSplitSeparately() throws Exception {
        Model m = SyntheticModels.cnn(4, 4, 8, 32);
        Path a = dir.resolve("m.onnx"), npz = dir.resolve("d.npz"), out = dir.resolve("m.nnz");
        OnnxWriter.write(m, a);
        io.nnzip.ir.Tensor[] train = labelled(m, 700, 1), test = labelled(m, 200, 2);
        io.nnzip.numpy.Npy.writeNpz(npz, java.util.Map.of("x_train", train[0], "y_train", train[1], "x_test", test[0], "y_test", test[1]));
        // theta: GPTQ then rounding; dq: GPTQ inside the dependent-quantization trellis (units written as searched)
        for (String quantizer : new String[] {"theta", "dq"}) {
            JsonNode r = new ObjectMapper().readTree(run("encode", a.toString(), "-o", out.toString(), "--data", npz.toString(), "--max-drop", "3",
                    "--compensate", "--calib-images", "200", "--val-images", "400", "--threads", "1", "--quantizer", quantizer, "--json"));
            assertEquals(quantizer.equals("dq"), r.get("recipe").asText().contains(";dq"), r.toString());
            assertTrue(r.get("calibration_split").asText().startsWith("train images 0..199"), r.toString());
            assertTrue(r.get("validation_split").asText().startsWith("train images 300..699"), r.toString());
            assertTrue(r.get("test_split").asText().startsWith("test images 0..199"), r.toString());
            assertEquals(1.0, r.get("validation_accuracy_original").asDouble(), 1e-9);
            assertEquals(1.0, r.get("test_accuracy_original").asDouble(), 1e-9);
            assertTrue(r.get("validation_accuracy_decoded").asDouble() >= 0.97 - 1e-9, r.toString());
            // The reported test accuracy is that of the written stream, decoded and run independently here.
            Model decoded = NnzCodec.decode(Files.readAllBytes(out));
            int[] got = top1(decoded, test[0].floats(), 200);
            int same = 0;
            for (int i = 0; i < 200; i++) if (got[i] == test[1].getLong(i)) same++;
            assertEquals(same / 200.0, r.get("test_accuracy_decoded").asDouble(), 1e-6, r.toString());
            // The margin: the validation labels are the original's classes, so the paired standard error is that of
            // a proportion, sqrt(p(1 − p)/n) with p the share of the 400 validation images the decoded model gets wrong;
            // the search and the final check hold the accuracy less MARGIN_SE of them within the bound.
            int[] gotVal = top1(decoded, java.util.Arrays.copyOfRange(train[0].floats(), 300 * 784, 700 * 784), 400);
            int wrong = 0;
            for (int i = 0; i < 400; i++) if (gotVal[i] != train[1].getLong(300 + i)) wrong++;
            double p = wrong / 400.0, se = Math.sqrt(p * (1 - p) / 400);
            assertEquals(1 - p, r.get("validation_accuracy_decoded").asDouble(), 1e-6, r.toString());
            assertEquals(100 * se, r.get("validation_standard_error_points").asDouble(), 1e-9, r.toString());
            double z = io.nnzip.codec.rd.SensitivitySearch.MARGIN_SE;
            assertEquals(100 * z * se, r.get("validation_margin_points").asDouble(), 1e-9, r.toString());
            if (r.get("backoffs").asInt() < 4) assertTrue(1 - p - z * se >= 0.97 - 1e-9, r.toString());
            // Reproducible: the same command on another thread count writes the same bytes.
            byte[] first = Files.readAllBytes(out);
            run("encode", a.toString(), "-o", out.toString(), "--data", npz.toString(), "--max-drop", "3",
                    "--compensate", "--calib-images", "200", "--val-images", "400", "--threads", "2", "--quantizer", quantizer, "--json");
            assertArrayEquals(first, Files.readAllBytes(out), quantizer + ": --threads 1 and --threads 2 wrote different streams");
        }
        // Overlapping calibration and validation images are refused.
        assertEquals(2, Main.run("encode", a.toString(), "-o", out.toString(), "--data", npz.toString(), "--max-drop", "3", "--compensate", "--calib-images", "400", "--val-images", "400"));
    }

    @Test
    void valDataIsWhatTheSearchMeasuresOnInEncodeAndDiff() throws Exception {
        Model m = SyntheticModels.cnn(4, 4, 8, 32), next = m.copy();
        next.graph().initializers().replaceAll((k, t) -> {
            if (t.dtype() != io.nnzip.ir.DType.FLOAT) return t;
            float[] w = t.floats().clone();
            java.util.Random r = new java.util.Random(k.hashCode());
            for (int i = 0; i < w.length; i++) w[i] += 0.05f * w[i] * (float) r.nextGaussian();
            return io.nnzip.ir.Tensor.of(w, t.shape());
        });
        Path a = dir.resolve("m.onnx"), b = dir.resolve("n.onnx"), npz = dir.resolve("d.npz"), val = dir.resolve("split.npz"), out = dir.resolve("m.nnz");
        OnnxWriter.write(m, a);
        OnnxWriter.write(next, b);
        io.nnzip.ir.Tensor[] train = labelled(m, 300, 1), test = labelled(m, 100, 2), v = labelled(m, 200, 3);
        io.nnzip.numpy.Npy.writeNpz(npz, java.util.Map.of("x_train", train[0], "y_train", train[1], "x_test", test[0], "y_test", test[1]));
        // Validation labels: the model's own class for the first 150 images, another class for the last 50, so the
        // original scores exactly 75 % there (100 % on the training images).
        long[] vl = new long[200];
        for (int i = 0; i < 200; i++) vl[i] = i < 150 ? v[1].getLong(i) : (v[1].getLong(i) + 1) % 10;
        io.nnzip.numpy.Npy.writeNpz(val, java.util.Map.of("images", v[0], "labels", io.nnzip.ir.Tensor.ofLongs(vl, 200)));
        JsonNode r = new ObjectMapper().readTree(run("encode", a.toString(), "-o", out.toString(), "--data", npz.toString(), "--max-drop", "3",
                "--val-data", val.toString(), "--threads", "1", "--json"));
        assertTrue(r.get("validation_split").asText().startsWith("--val-data " + val + ": 200 samples"), r.toString());
        assertEquals(0.75, r.get("validation_accuracy_original").asDouble(), 1e-6, r.toString());
        // diff: the new model's validation accuracy is counted here independently, in ONNX Runtime.
        int[] y = top1(next, v[0].floats(), 200);
        int hits = 0;
        for (int i = 0; i < 200; i++) if (y[i] == vl[i]) hits++;
        JsonNode d = new ObjectMapper().readTree(run("diff", a.toString(), b.toString(), "-o", dir.resolve("u.nnz").toString(), "--data", npz.toString(),
                "--max-drop", "3", "--val-data", val.toString(), "--threads", "1", "--json"));
        assertEquals(hits / 200.0, d.get("validation_accuracy_new").asDouble(), 1e-6, d.toString());
        assertTrue(d.get("validation_split").asText().startsWith("--val-data "), d.toString());
        Path ua = dir.resolve("ua.nnz");
        // The default search with --max-drop is the fitted rate path, compensated: the reported validation accuracy is
        // the written update's (counted here in ORT on the model patched out of the file), and the path lists it.
        assertEquals("rate-fit", d.get("update_steps").asText(), d.toString());
        assertTrue(d.get("compensated").asBoolean(), d.toString());
        Model dp = io.nnzip.codec.dom.Patcher.patch(m,
                java.nio.file.Files.readAllBytes(dir.resolve("u.nnz")), "u.nnz", 1);
        int[] yd = top1(dp, v[0].floats(), 200);
        int dHits = 0;
        for (int i = 0; i < 200; i++) if (yd[i] == vl[i]) dHits++;
        assertEquals(dHits / 200.0, d.get("validation_accuracy_patched").asDouble(), 1e-6, d.toString());
        assertTrue(dHits >= hits - 6, dHits + " vs " + hits + ": within 3 points of 200 images");
        boolean listed = false;
        for (JsonNode q : d.get("update_fit").get("path")) if (q.get("qps").equals(d.get("update_qps"))) {
            listed = true;
            assertEquals(dHits / 200.0, q.get("validation_accuracy").asDouble(), 1e-6, q.toString());
        }
        assertTrue(listed, d.toString());
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", ua.toString(), "--compensate"), "--compensate without --max-drop");
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", ua.toString(), "--update-steps", "rate-fit"), "--update-steps without --max-drop");
        // --update-criterion agreement: the bound is on the share of validation images whose top-1 class differs
        // from NEW's; the reported agreement is counted here from the patched model (ORT), labels unused.
        JsonNode g = new ObjectMapper().readTree(run("diff", a.toString(), b.toString(), "-o", ua.toString(), "--as-received", "--data", npz.toString(),
                "--max-drop", "3", "--update-criterion", "agreement", "--val-data", val.toString(), "--threads", "1", "--json"));
        assertEquals("agreement", g.get("update_criterion").asText(), g.toString());
        Model patched = io.nnzip.codec.dom.Patcher.patch(m, java.nio.file.Files.readAllBytes(ua), ua.toString(), 1);
        int[] yp = top1(patched, v[0].floats(), 200);
        int same = 0;
        for (int i = 0; i < 200; i++) if (yp[i] == y[i]) same++;
        assertEquals(same / 200.0, g.get("validation_agreement_patched").asDouble(), 1e-6, g.toString());
        assertEquals(hits / 200.0, g.get("validation_accuracy_new").asDouble(), 1e-6, g.toString());
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", ua.toString(), "--data", npz.toString(), "--max-drop", "3", "--update-criterion", "kl", "--val-data", val.toString()));
        // --max-bytes: the written file fits the budget; a budget no allocation fits is an error that leaves no file
        Path ub = dir.resolve("ub.nnz"), uz = dir.resolve("uz.nnz");
        long budget = java.nio.file.Files.size(dir.resolve("u.nnz"));
        JsonNode mb = new ObjectMapper().readTree(run("diff", a.toString(), b.toString(), "-o", ub.toString(), "--as-received", "--data", npz.toString(),
                "--max-bytes", Long.toString(budget), "--val-data", val.toString(), "--threads", "1", "--json"));
        assertEquals("rate-budget", mb.get("update_steps").asText(), mb.toString());
        assertTrue(mb.has("max_bytes_evaluations") && !mb.has("max_drop_evaluations"), mb.toString());
        assertTrue(java.nio.file.Files.size(ub) <= budget, java.nio.file.Files.size(ub) + " > " + budget);
        assertTrue(mb.get("sequential_compensation").asBoolean(), "sequential compensation is --max-bytes' default: " + mb);
        // it fits a budget only: with --max-drop it is refused before any work
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", uz.toString(), "--data", npz.toString(), "--max-drop", "3", "--sequential-compensation", "--val-data", val.toString()));
        // --refine-steps trains the levels of sequential compensation's target only: refused with --max-drop and per-layer compensation
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", uz.toString(), "--data", npz.toString(), "--max-drop", "3", "--refine-steps", "5", "--val-data", val.toString()));
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", uz.toString(), "--as-received", "--data", npz.toString(), "--max-bytes", Long.toString(budget),
                "--no-sequential-compensation", "--refine-steps", "5", "--val-data", val.toString()));
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", uz.toString(), "--refine-steps", "5"));
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", uz.toString(), "--as-received", "--data", npz.toString(),
                "--max-bytes", "1", "--val-data", val.toString(), "--threads", "1"));
        assertFalse(java.nio.file.Files.exists(uz), "nothing written for an impossible budget");
        // --update-steps rate-path: the reported validation accuracy is the written update's, counted here in ORT
        // from the model patched out of the file, and it keeps the bound.
        Path ur = dir.resolve("ur.nnz");
        JsonNode rp = new ObjectMapper().readTree(run("diff", a.toString(), b.toString(), "-o", ur.toString(), "--as-received", "--data", npz.toString(),
                "--max-drop", "3", "--update-steps", "rate-path", "--val-data", val.toString(), "--threads", "1", "--json"));
        Model rpPatched = io.nnzip.codec.dom.Patcher.patch(m, java.nio.file.Files.readAllBytes(ur), ur.toString(), 1);
        int[] yr = top1(rpPatched, v[0].floats(), 200);
        int rpHits = 0;
        for (int i = 0; i < 200; i++) if (yr[i] == vl[i]) rpHits++;
        assertEquals(rpHits / 200.0, rp.get("validation_accuracy_patched").asDouble(), 1e-6, rp.toString());
        assertTrue(rpHits >= hits - 6, rpHits + " vs " + hits + ": within 3 points of 200 images");
        rp.get("update_qps").fields().forEachRemaining(e -> assertTrue(rp.get("recipe").asText().contains("qp[" + e.getKey() + "]=" + e.getValue().asInt()), rp.toString()));
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", ur.toString(), "--data", npz.toString(), "--max-drop", "3", "--update-steps", "bogus", "--val-data", val.toString()));
        // Without --max-drop it means nothing; a missing file is refused before any work.
        assertEquals(2, Main.run("encode", a.toString(), "-o", out.toString(), "--val-data", val.toString()));
        assertEquals(2, Main.run("encode", a.toString(), "-o", out.toString(), "--data", npz.toString(), "--max-drop", "3", "--val-data", dir.resolve("none.npz").toString()));
    }

    @Test
    void maxDropCodesBiasesAtFiveMantissaBitsUnlessTheCheckFails() throws Exception {
        Model m = SyntheticModels.cnn(4, 4, 8, 32);
        // A model whose prediction hangs on two biases 1 % apart: at 5 mantissa bits (steps of 1/32 near 1) they
        // become equal, at 8 bits they stay apart.
        Model fragile = m.copy();
        float[] w2 = fragile.graph().initializer("fc2.weight").floats().clone();
        for (int i = 0; i < w2.length; i++) w2[i] *= 1e-3f;
        fragile.graph().initializers().put("fc2.weight", io.nnzip.ir.Tensor.of(w2, fragile.graph().initializer("fc2.weight").shape()));
        float[] b2 = new float[10];
        b2[0] = 1.0f;
        b2[1] = 1.01f;
        fragile.graph().initializers().put("fc2.bias", io.nnzip.ir.Tensor.of(b2, 10));
        for (Model model : new Model[] {m, fragile}) {
            boolean isFragile = model == fragile;
            Path a = dir.resolve("m.onnx"), npz = dir.resolve("d.npz"), out = dir.resolve("m.nnz");
            OnnxWriter.write(model, a);
            io.nnzip.ir.Tensor[] train = labelled(model, 400, 1), test = labelled(model, 100, 2);
            io.nnzip.numpy.Npy.writeNpz(npz, java.util.Map.of("x_train", train[0], "y_train", train[1], "x_test", test[0], "y_test", test[1]));
            JsonNode r = new ObjectMapper().readTree(run("encode", a.toString(), "-o", out.toString(), "--data", npz.toString(), "--max-drop", "2",
                    "--val-images", "300", "--threads", "1", "--json"));
            assertEquals(isFragile ? 8 : 5, r.get("float_mantissa").asInt(), r.toString());
            assertTrue(r.get("recipe").asText().contains("float_mantissa=" + (isFragile ? 8 : 5)), r.toString());
            assertTrue(r.get("validation_accuracy_decoded").asDouble() >= 0.98 - 1e-6, r.toString());
            Model decoded = NnzCodec.decode(Files.readAllBytes(out));
            for (String k : new String[] {"conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias"}) {
                float[] x = model.graph().initializer(k).floats(), y = decoded.graph().initializer(k).floats();
                double tol = isFragile ? 0x1p-9 : 0x1p-6;
                for (int i = 0; i < x.length; i++) assertTrue(Math.abs(x[i] - y[i]) <= Math.abs(x[i]) * tol * 1.0001, k + "[" + i + "]: " + x[i] + " vs " + y[i]);
                if (!isFragile) {
                    boolean coarse = false;
                    for (int i = 0; i < x.length; i++) coarse |= Math.abs(x[i] - y[i]) > Math.abs(x[i]) * 0x1p-9 * 1.0001;
                    assertTrue(coarse, k + " kept more than 8 mantissa bits");
                }
            }
        }
    }

    @Test
    void encodeDecodeDiffPatchPackUnpackInspect() throws Exception {
        Model base = SyntheticModels.cnn(1, 8, 16, 32);
        Path a = dir.resolve("a.onnx"), b = dir.resolve("b.onnx"), c = dir.resolve("c.onnx");
        OnnxWriter.write(base, a);
        OnnxWriter.write(SyntheticModels.finetune(base, 2, 0.02), b);
        OnnxWriter.write(SyntheticModels.finetune(base, 3, 0.02), c);

        run("encode", a.toString(), "-o", dir.resolve("a.nnz").toString(), "--lossless");
        run("decode", dir.resolve("a.nnz").toString(), "-o", dir.resolve("a2.onnx").toString());
        assertArrayEquals(OnnxWriter.toBytes(OnnxReader.read(a)), OnnxWriter.toBytes(OnnxReader.read(dir.resolve("a2.onnx"))));

        JsonNode enc = new ObjectMapper().readTree(run("encode", a.toString(), "-o", dir.resolve("q.nnz").toString(), "--qp", "-4", "--json"));
        assertTrue(enc.get("ratio").asDouble() > 4, enc.toString());
        JsonNode ins = new ObjectMapper().readTree(run("inspect", dir.resolve("q.nnz").toString(), "--json"));
        assertEquals("model", ins.get("kind").asText());
        assertTrue(ins.get("summary").get("level_bits_over_entropy").asDouble() <= 1.01, ins.get("summary").toString());
        assertTrue(run("inspect", dir.resolve("q.nnz").toString()).contains("fc1.weight"));
        // a per-tensor QP from the command line: a coarser fc1 makes a smaller stream, and the recipe records it
        JsonNode per = new ObjectMapper().readTree(run("encode", a.toString(), "-o", dir.resolve("per.nnz").toString(), "--qp", "-4", "--qp-of", "fc1.weight=4", "--json"));
        assertTrue(per.get("recipe").asText().contains("qp[fc1.weight]=4"), per.toString());
        assertTrue(per.get("output_bytes").asLong() < enc.get("output_bytes").asLong(), per + " vs " + enc);

        JsonNode bits = new ObjectMapper().readTree(run("encode", a.toString(), "-o", dir.resolve("bits.nnz").toString(), "--bits", "2", "--json"));
        assertTrue(bits.has("qp_for_budget"));

        run("diff", a.toString(), b.toString(), "-o", dir.resolve("u.nnz").toString());
        run("patch", a.toString(), dir.resolve("u.nnz").toString(), "-o", dir.resolve("b2.onnx").toString());
        Files.exists(dir.resolve("b2.onnx"));
        // update-search options without the search, or with an unknown mode, are refused (exit 2) and write nothing
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", dir.resolve("uc.nnz").toString(), "--compensate"));
        assertEquals(2, Main.run("diff", a.toString(), b.toString(), "-o", dir.resolve("uc.nnz").toString(), "--compensate", "--data", "none.npz"));
        assertFalse(Files.exists(dir.resolve("uc.nnz")));

        JsonNode pack = new ObjectMapper().readTree(run("pack", b.toString(), a.toString(), c.toString(), "-o", dir.resolve("p.nnz").toString(), "--json"));
        assertEquals("a.onnx", pack.get("root").asText());
        run("unpack", dir.resolve("p.nnz").toString(), "-d", dir.resolve("out").toString());
        for (String n : new String[] {"a.onnx", "b.onnx", "c.onnx"}) assertTrue(Files.exists(dir.resolve("out").resolve(n)), n);
    }

    @Test
    void corruptInputIsAOneLineError() throws Exception {
        Path a = dir.resolve("a.onnx");
        OnnxWriter.write(SyntheticModels.cnn(1, 2, 4, 8), a);
        Path nnz = dir.resolve("a.nnz");
        run("encode", a.toString(), "-o", nnz.toString());
        byte[] b = Files.readAllBytes(nnz);
        b[b.length / 2] ^= 0x10;
        Files.write(nnz, b);
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        int rc;
        try {
            rc = Main.run("decode", nnz.toString(), "-o", dir.resolve("x.onnx").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(2, rc);
        assertTrue(err.toString().contains("corrupt"), err.toString());
    }

    /** --provenance: the decoded stream carries full, compact or no pass records; the normalization always. */
    @Test
    void provenanceModesDecideWhichPassRecordsTheStreamCarries() throws Exception {
        Model m = SyntheticModels.cnn(4, 4, 8, 32);
        m.metadata().put("nnzip.input.mean", "0.286");
        io.nnzip.pass.Provenance.record(m, "quantize", java.util.Map.of("scheme", "kmeans:4"), java.util.Map.of("scheme", "x".repeat(2000)), null);
        Path a = dir.resolve("p.onnx");
        OnnxWriter.write(m, a);
        long[] size = new long[3];
        String[] modes = {"full", "compact", "none"};
        for (int k = 0; k < 3; k++) {
            Path out = dir.resolve(modes[k] + ".nnz");
            run("encode", a.toString(), "-o", out.toString(), "--provenance", modes[k], "--threads", "1", "--json");
            size[k] = Files.size(out);
            Model d = NnzCodec.decode(Files.readAllBytes(out));
            assertEquals("0.286", d.metadata().get("nnzip.input.mean"));
            var rec = io.nnzip.pass.Provenance.read(d, "quantize");
            if (k == 2) assertEquals(null, rec);
            else {
                assertEquals(java.util.Map.of("scheme", "kmeans:4"), rec.get("options"));
                assertEquals(k == 0, rec.containsKey("option_descriptions"));
            }
        }
        assertTrue(size[0] > size[1] && size[1] > size[2], java.util.Arrays.toString(size));
    }

    /**
     * --float-mantissa: the unquantized floats (biases) keep that many mantissa bits — each decoded bias within a
     * relative 2^-(BITS+1) of the original, by hand — the stream's recipe line records it, and --lossless refuses it.
     */
    @Test
    void floatMantissaRoundsTheUnquantizedFloats() throws Exception {
        Model m = SyntheticModels.cnn(4, 4, 8, 32);
        Path in = dir.resolve("m.onnx"), out = dir.resolve("m.nnz");
        OnnxWriter.write(m, in);
        run("encode", in.toString(), "-o", out.toString(), "--float-mantissa", "5", "--json");
        byte[] b = Files.readAllBytes(out);
        assertTrue(new io.nnzip.codec.format.NnzReader(b, "m.nnz").header().recipe.contains("float_mantissa=5"));
        Model d = NnzCodec.decode(b);
        int moved = 0;
        for (String k : new String[] {"conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias"}) {
            float[] w = m.graph().initializer(k).floats(), v = d.graph().initializer(k).floats();
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(v[i] - w[i]) <= Math.abs(w[i]) * Math.pow(2, -6) * (1 + 1e-6), k + "[" + i + "]: " + w[i] + " -> " + v[i]);
                if (v[i] != w[i]) moved++;
            }
        }
        assertTrue(moved > 0, "5 mantissa bits round something");
        PrintStream old = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true));
        try {
            assertEquals(2, Main.run("encode", in.toString(), "-o", dir.resolve("x.nnz").toString(), "--lossless", "--float-mantissa", "5"));
        } finally {
            System.setErr(old);
        }
        assertFalse(Files.exists(dir.resolve("x.nnz")));
    }
}
