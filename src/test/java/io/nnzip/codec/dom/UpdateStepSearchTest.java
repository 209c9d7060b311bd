package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.rd.AccuracyProbe;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The accuracy-driven update step, checked through the serialized path (diff to bytes, patch from bytes) rather than
 * the search's own in-memory reconstruction, against a probe whose "accuracy" is a known function of the weights.
 */
class UpdateStepSearchTest {
    static final Path BASE = Path.of("src/test/resources/codec/v4/base.onnx"), NEXT = Path.of("src/test/resources/codec/v4/next.onnx");

    /** 1 − RMS error of the patched weights against the new model's / (100·scale): "points" fall with the update's step. */
    static AccuracyProbe probe(Model next, double scale) {
        return m -> 1 - rms(next, m) / scale / 100;
    }

    static double rms(Model next, Model m) {
        double se = 0;
        long n = 0;
        for (var e : next.graph().initializers().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT) continue;
            float[] a = e.getValue().floats(), b = m.graph().initializer(e.getKey()).floats();
            for (int i = 0; i < a.length; i++) se += (a[i] - b[i]) * (double) (a[i] - b[i]);
            n += a.length;
        }
        return Math.sqrt(se / n);
    }

    @Test
    void theChosenStepHoldsTheBoundAndCostsNoMoreThanTheCoarsestPassingQp() throws Exception {
        Model base = OnnxReader.read(BASE), next = OnnxReader.read(NEXT);
        CodecOptions baseOpts = CodecOptions.defaults().withThreads(1);
        Model have = NnzCodec.decode(NnzCodec.encode(base, baseOpts));
        // Scaled so that the update at the base's own step costs 0.2 points.
        double e0 = rms(next, Patcher.patch(have, DiffEncoder.diff(have, next, baseOpts, true), "u", 1));
        AccuracyProbe p = probe(next, e0 / 0.2);
        double maxDrop = 0.5, floor = p.accuracy(next) - maxDrop / 100;
        UpdateStepSearch.Result r = UpdateStepSearch.search(have, next, p, maxDrop, q -> baseOpts.withQp(q), baseOpts.qp(), s -> {});
        // Reference: every QP through the bytes a receiver gets.
        List<long[]> passing = new ArrayList<>();
        for (int q = baseOpts.qp(); q <= UpdateStepSearch.QP_COARSEST; q++) {
            byte[] u = DiffEncoder.diff(have, next, baseOpts.withQp(q), true);
            if (p.accuracy(Patcher.patch(have, u, "u", 1)) >= floor) passing.add(new long[] {q, u.length});
        }
        assertFalse(passing.isEmpty());
        byte[] chosen = DiffEncoder.diff(have, next, baseOpts.withQp(r.qp()), true);
        assertTrue(p.accuracy(Patcher.patch(have, chosen, "u", 1)) >= floor, "the chosen QP " + r.qp() + " keeps the bound");
        assertTrue(r.qp() > baseOpts.qp(), "a 0.5-point budget allows a coarser update step than the base's");
        long coarsestPassingBytes = passing.getLast()[1];
        assertTrue(chosen.length <= coarsestPassingBytes, chosen.length + " B vs " + coarsestPassingBytes + " B at QP " + passing.getLast()[0]);
        assertTrue(chosen.length < DiffEncoder.diff(have, next, baseOpts, true).length, "smaller than the update at the base's step");
    }

    @Test
    void anUpdateAtItsOwnStepPatchesTheOriginalBaseThroughTheRecordedBaseRecipe() throws Exception {
        Model base = OnnxReader.read(BASE), next = OnnxReader.read(NEXT);
        CodecOptions baseOpts = CodecOptions.defaults().withThreads(1), upd = baseOpts.withQp(-4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffEncoder.diff(base, baseOpts, next, upd, false, out);
        byte[] u = out.toByteArray();
        Model have = NnzCodec.decode(NnzCodec.encode(base, baseOpts));
        Model fromCopy = Patcher.patch(have, u, "u", 1), fromOriginal = Patcher.patch(base, u, "u", 1);
        for (var e : next.graph().initializers().entrySet()) {
            Tensor a = fromCopy.graph().initializer(e.getKey()), b = fromOriginal.graph().initializer(e.getKey());
            assertEquals(a, b, e.getKey());
        }
        // The update's own options parse back unchanged; the base's recipe is recovered exactly.
        String rec = CodecOptions.withBaseRecipe(upd.recipe(), baseOpts.recipe());
        assertEquals(upd.recipe(), CodecOptions.parseRecipe(rec, 1).recipe());
        assertEquals(baseOpts.recipe(), CodecOptions.baseRecipe(rec));
        assertEquals(upd.recipe(), CodecOptions.baseRecipe(upd.recipe()));
        // A model that is neither the base nor its coded copy is refused.
        assertThrows(io.nnzip.ir.NnzipException.class, () -> Patcher.patch(next, u, "u", 1));
    }

    /** Probe that sees only tensor {@code only}: 1 − its RMS error against {@code next} / (100·scale). */
    static AccuracyProbe probeOf(Model next, String only, double scale) {
        return m -> 1 - rmsOf(next, m, only) / scale / 100;
    }

    @Test
    void perTensorStepsSkipWhatTheProbeIgnoresAndKeepWhatItNeeds() throws Exception {
        Model base = io.nnzip.codec.SyntheticModels.cnn(1, 8, 16, 32);
        Model next = io.nnzip.codec.SyntheticModels.finetune(base, 2, 0.5);
        CodecOptions o = CodecOptions.defaults().withThreads(1);
        String needed = "fc1.weight";
        // A change of σ/2 is about four steps of σ/8 (QP −12). Scaled so that the start QP's error (step/√12) on the
        // needed tensor costs 0.03 points: the bound of 0.1 allows about a 3.3× step, and sending nothing (an error
        // of the whole change, ≈ 14× the start's) costs ≈ 0.4 points.
        byte[] atStart = DiffEncoder.diff(base, next, o, true);
        Model p0 = Patcher.patch(base, atStart, "u", 1);
        AccuracyProbe p = probeOf(next, needed, rmsOf(next, p0, needed) / 0.03);
        double floor = p.accuracy(next) - 0.1 / 100;
        UpdateStepSearch.Refined r = UpdateStepSearch.refine(base, next, p, floor, o, p.accuracy(p0), s -> {});
        // Through the bytes a receiver gets:
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<io.nnzip.codec.TensorReport> reps = DiffEncoder.diff(base, next, o.withOverrides(r.qps()), true, out).tensors();
        Model patched = Patcher.patch(base, out.toByteArray(), "u", 1);
        assertTrue(p.accuracy(patched) >= floor, "bound holds: " + p.accuracy(patched) + " vs " + floor);
        for (io.nnzip.codec.TensorReport t : reps) {
            Tensor w = next.graph().initializer(t.name());
            boolean weight = w.rank() >= 2 && w.size() >= CodecOptions.MIN_QUANTIZED;
            if (!weight) continue;
            if (t.name().equals(needed)) assertEquals("dom-uniform", t.method(), "the needed tensor is sent");
            else {
                // every other weight is invisible to the probe: coarsened until nothing is left, the base kept bit for bit
                assertEquals("skipped", t.method(), t.name() + " at QP " + r.qps().get(t.name()));
                assertEquals(base.graph().initializer(t.name()), patched.graph().initializer(t.name()), t.name());
            }
        }
        int q = r.qps().get(needed);
        assertTrue(q >= o.qp() + 4 && q <= o.qp() + 7, "needed tensor's QP " + q + ": coarser than the start, a step below 2^(7/4)x");
        assertTrue(out.size() < atStart.length, out.size() + " vs " + atStart.length);
    }

    static double rmsOf(Model next, Model m, String name) {
        float[] a = next.graph().initializer(name).floats(), b = m.graph().initializer(name).floats();
        double se = 0;
        for (int i = 0; i < a.length; i++) se += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return Math.sqrt(se / a.length);
    }

    /** A probe whose "KL" is the squared RMS error of tensor {@code only} against {@code next}; accuracy 1 − KL/(100·scale). */
    static io.nnzip.codec.rd.OutputProbe klProbeOf(Model next, String only, double scale) {
        return new io.nnzip.codec.rd.OutputProbe() {
            double kl(Model m) { double r = rmsOf(next, m, only); return r * r; }
            @Override public double accuracy(Model m) { return 1 - kl(m) / scale / 100; }
            @Override public double reference(Model m) { return accuracy(m); }
            @Override public double[] measure(Model m) { return new double[] {accuracy(m), kl(m)}; }
        };
    }

    @Test
    void theRatePathKeepsTheBoundThroughTheBytesAndCodesEachTensorAsItsTableSaid() throws Exception {
        Model base = io.nnzip.codec.SyntheticModels.cnn(1, 8, 16, 32);
        Model next = io.nnzip.codec.SyntheticModels.finetune(base, 2, 0.5);
        // Equal steps, as diff uses: each tensor's own QP differs from the global one.
        java.util.function.IntFunction<CodecOptions> at = q -> new io.nnzip.codec.EncodeConfig(false, false, q, false, null, true, "theta", java.util.Map.of(), "full").options(next, 1);
        CodecOptions start = at.apply(-12);
        String needed = "fc1.weight";
        byte[] atStart = DiffEncoder.diff(base, next, start, true);
        double kl0 = Math.pow(rmsOf(next, Patcher.patch(base, atStart, "u", 1), needed), 2);
        io.nnzip.codec.rd.OutputProbe p = klProbeOf(next, needed, kl0 / 0.03); // the start's error costs 0.03 points
        double floor = p.accuracy(next) - 0.1 / 100;
        List<String> log = new ArrayList<>();
        UpdateStepSearch.Refined r = UpdateStepSearch.ratePath(base, next, o -> next, p, p, floor, at, -12, log::add);
        // The table the path was built from: bytes of each tensor coded alone at its own QP.
        java.util.Map<String, Long> table = new java.util.HashMap<>();
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("update (\\S+) alone at QP (-?\\d+): (\\d+) bytes.*");
        for (String l : log) {
            var mm = line.matcher(l);
            if (mm.matches()) table.put(mm.group(1) + "@" + mm.group(2), Long.parseLong(mm.group(3)));
        }
        assertFalse(table.isEmpty(), log.toString());
        // Through the bytes a receiver gets:
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<io.nnzip.codec.TensorReport> reps = DiffEncoder.diff(base, next, start.withOverrides(r.qps()), true, out).tensors();
        Model patched = Patcher.patch(base, out.toByteArray(), "u", 1);
        assertTrue(p.accuracy(patched) >= floor, "bound holds: " + p.accuracy(patched) + " vs " + floor);
        assertEquals(p.accuracy(patched), r.accuracy(), 1e-12, "the reported accuracy is the written update's");
        for (io.nnzip.codec.TensorReport t : reps) {
            if (!r.qps().containsKey(t.name())) continue;
            Long alone = table.get(t.name() + "@" + r.qps().get(t.name()));
            assertNotNull(alone, t.name() + " at QP " + r.qps().get(t.name()) + " was never in the table: " + table.keySet());
            assertEquals(alone.longValue(), t.bytes(), t.name() + " costs in the stream what the table said");
            if (t.name().equals(needed)) assertEquals("dom-uniform", t.method(), "the needed tensor is sent");
            else assertEquals("skipped", t.method(), t.name() + ": invisible to the probe, nothing sent");
        }
        assertTrue(r.qps().get(needed) > start.qpFor(needed), "coarser than the start: " + r.qps() + " vs " + start.qpFor(needed));
        assertTrue(out.size() < atStart.length, out.size() + " vs " + atStart.length);
    }

    @Test
    void theLagrangianPathRunsFromCoarseToFineOverTheLowerHullOnly() {
        // Rows {bytes, KL, QP}, fine to coarse. A's QP 2 row lies above the hull of its neighbours (at 40 B the line
        // from (50 B, 0.001) to (0 B, 0.02) gives KL 0.0048 < 0.01), so no λ picks it.
        java.util.Map<String, double[][]> t = new java.util.LinkedHashMap<>();
        t.put("A", new double[][] {{100, 0, -4}, {50, 0.001, 0}, {40, 0.01, 2}, {0, 0.02, 32}});
        t.put("B", new double[][] {{30, 0.0001, -4}, {10, 0.001, 0}, {0, 0.0035, 32}});
        List<java.util.Map<String, Integer>> path = UpdateStepSearch.lagrangianPath(t);
        assertEquals(java.util.Map.of("A", 32, "B", 32), path.getFirst());
        assertEquals(java.util.Map.of("A", -4, "B", -4), path.getLast());
        double prevBytes = -1, prevKl = Double.MAX_VALUE;
        for (var a : path) {
            assertNotEquals(2, a.get("A"), "off-hull row chosen: " + path);
            double bytes = 0, kl = 0;
            for (var e : t.entrySet()) for (double[] row : e.getValue()) if (row[2] == a.get(e.getKey())) { bytes += row[0]; kl += row[1]; }
            assertTrue(bytes > prevBytes && kl < prevKl, "monotone: " + path);
            prevBytes = bytes;
            prevKl = kl;
        }
        // Hand count: the λ (bytes per nat) where a tensor moves one hull row finer: A 50/0.019 = 2632 and 50/0.001 = 50000,
        // B 10/0.0025 = 4000 and 20/0.0009 = 22222 — four moves, five allocations.
        assertEquals(5, path.size(), path.toString());
    }

    static UpdateStepSearch.PathPoint pt(int i, double sqrtKl, double dropPoints) {
        return new UpdateStepSearch.PathPoint(i, java.util.Map.of(), 0, 0.9 - dropPoints / 100, sqrtKl * sqrtKl);
    }

    @Test
    void theSlopeIsTheRatioEstimatorWithItsWeightedStandardError() {
        // (√KL, drop): (0.1, 0.3), (0.2, 0.3). By hand: c = 0.6 / 0.3 = 2; residuals 0.1 and −0.1, weighted by 1/√KL:
        // 0.01/0.1 + 0.01/0.2 = 0.15 = σ²·(n − 1); Var(c) = σ² / Σ√KL = 0.15 / 0.3 → se = √0.5.
        double[] f = UpdateStepSearch.fitSlope(List.of(pt(0, 0.1, 0.3), pt(1, 0.2, 0.3)), 0.9, 10);
        assertEquals(2, f[0], 1e-9);
        assertEquals(Math.sqrt(0.5), f[1], 1e-9);
        assertEquals(2, f[2]);
        // Exactly on d = 3·√KL, plus a coarse point far off the line (d = 40 at √KL = 1). By hand: the fit over all five
        // gives c = 40.3333 / 1.1111 = 36.3; refitted on the points it predicts within 4 × 0.1 (√KL ≤ 0.011: the three
        // finest) c = 3; refitted again, √KL = 0.1 (predicted 0.3) is back in and √KL = 1 (3) stays out: c = 3 on 4 points, no residual.
        List<UpdateStepSearch.PathPoint> pts = List.of(pt(0, 1, 40), pt(1, 0.1, 0.3), pt(2, 0.01, 0.03), pt(3, 0.001, 0.003), pt(4, 0.0001, 0.0003));
        double[] g = UpdateStepSearch.fitSlope(pts, 0.9, 0.1);
        assertEquals(3, g[0], 1e-6, java.util.Arrays.toString(g));
        assertEquals(0, g[1], 1e-6);
        assertEquals(4, g[2]);
    }

    @Test
    void theBudgetTakesTheFinestPathAllocationThatFitsThroughTheBytes() throws Exception {
        Model base = io.nnzip.codec.SyntheticModels.cnn(1, 8, 16, 32);
        Model next = io.nnzip.codec.SyntheticModels.finetune(base, 2, 0.5);
        java.util.function.IntFunction<CodecOptions> at = q -> new io.nnzip.codec.EncodeConfig(false, false, q, false, null, true, "theta", java.util.Map.of(), "full").options(next, 1);
        CodecOptions start = at.apply(-12);
        // KL: the summed squared RMS errors of all weight tensors, so every tensor has a price on the path.
        io.nnzip.codec.rd.OutputProbe p = new io.nnzip.codec.rd.OutputProbe() {
            double kl(Model m) {
                double k = 0;
                for (String w : UpdateStepSearch.changedWeights(base, next)) { double r = rmsOf(next, m, w); k += r * r; }
                return k;
            }
            @Override public double accuracy(Model m) { return 0.9 - Math.sqrt(kl(m)); }
            @Override public double reference(Model m) { return accuracy(m); }
            @Override public double[] measure(Model m) { return new double[] {accuracy(m), kl(m)}; }
        };
        UpdateStepSearch.Path path = UpdateStepSearch.path(base, next, o -> next, p, at, -12, s -> {});
        int n = path.allocations().size();
        assertTrue(n >= 4, "a path with some steps: " + n);
        // Each allocation's bytes as a receiver gets them: the tensor units of its written stream.
        long[] bytes = new long[n];
        for (int i = 0; i < n; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (io.nnzip.codec.TensorReport t : DiffEncoder.diff(base, next, start.withOverrides(path.allocations().get(i)), true, out).tensors()) bytes[i] += t.bytes();
        }
        long budget = (bytes[n / 2] + bytes[n / 2 + 1]) / 2;
        UpdateStepSearch.PathPoint b = UpdateStepSearch.budget(base, next, o -> next, p, budget, at, -12, path, 0, s -> {});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long written = 0;
        for (io.nnzip.codec.TensorReport t : DiffEncoder.diff(base, next, start.withOverrides(b.qps()), true, out).tensors()) written += t.bytes();
        assertEquals(written, b.bytes(), "reported bytes are the written stream's");
        assertTrue(b.bytes() <= budget, b.bytes() + " within " + budget);
        assertTrue(b.index() == n - 1 || bytes[b.index() + 1] > budget, "the next finer allocation does not fit: " + java.util.Arrays.toString(bytes) + " chose " + b.index());
        // Refined toward the next finer point: never coarser than the path point it started from, per tensor.
        assertTrue(b.bytes() >= bytes[b.index()], b.bytes() + " vs the path point's " + bytes[b.index()]);
        for (var e : b.qps().entrySet()) {
            assertTrue(e.getValue() <= path.allocations().get(b.index()).get(e.getKey()), e.toString());
            if (b.index() + 1 < n) assertTrue(e.getValue() >= path.allocations().get(b.index() + 1).get(e.getKey()), e.toString());
        }
        // The reported divergence is the one of the model patched out of those bytes.
        assertEquals(p.measure(Patcher.patch(base, out.toByteArray(), "u", 1))[1], b.kl(), 1e-12);
        // Skipping allocations already found too large moves to a coarser one; a budget below everything keeps the coarsest.
        UpdateStepSearch.PathPoint c = UpdateStepSearch.budget(base, next, o -> next, p, budget, at, -12, path, n - b.index(), s -> {});
        assertTrue(c.index() < b.index(), c.index() + " vs " + b.index());
        assertEquals(0, UpdateStepSearch.budget(base, next, o -> next, p, 1, at, -12, path, 0, s -> {}).index());
    }

    /** A probe whose KL is the squared RMS error of {@code only} (scaled) and whose drop is exactly c·√KL points. */
    static io.nnzip.codec.rd.OutputProbe sqrtProbeOf(Model next, String only, double klScale, double c) {
        return new io.nnzip.codec.rd.OutputProbe() {
            double kl(Model m) { double r = rmsOf(next, m, only); return r * r * klScale; }
            @Override public double accuracy(Model m) { return 0.9 - c * Math.sqrt(kl(m)) / 100; }
            @Override public double reference(Model m) { return accuracy(m); }
            @Override public double[] measure(Model m) { return new double[] {accuracy(m), kl(m)}; }
        };
    }

    @Test
    void theFittedChoiceIsTheCoarsestPathPointPredictedWithinTheBoundThroughTheBytes() throws Exception {
        Model base = io.nnzip.codec.SyntheticModels.cnn(1, 8, 16, 32);
        Model next = io.nnzip.codec.SyntheticModels.finetune(base, 2, 0.5);
        java.util.function.IntFunction<CodecOptions> at = q -> new io.nnzip.codec.EncodeConfig(false, false, q, false, null, true, "theta", java.util.Map.of(), "full").options(next, 1);
        CodecOptions start = at.apply(-12);
        String needed = "fc1.weight";
        byte[] atStart = DiffEncoder.diff(base, next, start, true);
        double e0 = rmsOf(next, Patcher.patch(base, atStart, "u", 1), needed);
        double c = 1.0; // drop = √KL points; KL scaled so the start's error costs 0.02 points
        io.nnzip.codec.rd.OutputProbe p = sqrtProbeOf(next, needed, Math.pow(0.02 / e0, 2), c);
        double ref = p.reference(next);
        UpdateStepSearch.PathFit f = UpdateStepSearch.fitted(base, next, o -> next, p, ref, 0.1, at, -12, s -> {});
        // The drop is exactly c·√KL: the fitted slope is c with no residual, so the margin adds nothing.
        assertEquals(c, f.slope(), 1e-6);
        assertEquals(c, f.slopeUpper(), 1e-6);
        // Through the bytes a receiver gets: within the bound, and the reported accuracy is the written update's.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffEncoder.diff(base, next, start.withOverrides(f.chosen().qps()), true, out);
        Model patched = Patcher.patch(base, out.toByteArray(), "u", 1);
        double drop = 100 * (ref - p.accuracy(patched));
        assertTrue(drop <= 0.1 + 1e-9, "bound holds: " + drop);
        assertEquals(p.accuracy(patched), f.chosen().accuracy(), 1e-12);
        // Every coarser point of the path is beyond the bound (measured by the probe on its own patch of the bytes).
        int chosen = f.points().stream().filter(q -> q.qps().equals(f.chosen().qps())).findFirst().orElseThrow().index();
        assertTrue(chosen > 0, "not the path's coarsest end (sending nothing costs more than 0.1): " + chosen);
        ByteArrayOutputStream o2 = new ByteArrayOutputStream();
        DiffEncoder.diff(base, next, start.withOverrides(f.points().get(chosen - 1).qps()), true, o2);
        double coarser = 100 * (ref - p.accuracy(Patcher.patch(base, o2.toByteArray(), "u", 1)));
        assertTrue(coarser > 0.1, "the next coarser allocation is out of bound: " + coarser);
        assertTrue(out.size() < atStart.length, out.size() + " vs " + atStart.length);
    }

    @Test
    void aDropOfExactlyTheBoundIsWithinItThoughAccuraciesAreFloats() {
        // 9,161 and 9,151 of 10,000 images right: a drop of exactly 0.1 points, as the float ratios the evaluator returns.
        double ref = 9161 / 10000f, patched = 9151 / 10000f, worse = 9150 / 10000f;
        assertTrue(patched < ref - 0.1 / 100, "the float ratio reads just below the plain bound: " + patched);
        assertTrue(patched >= UpdateStepSearch.floor(ref, 0.1), "exactly 0.1 points is within 0.1");
        assertTrue(worse < UpdateStepSearch.floor(ref, 0.1), "one image more is not");
    }
}
