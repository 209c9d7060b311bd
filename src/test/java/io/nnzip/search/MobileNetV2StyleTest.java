package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.dep.ValueProbe;
import io.nnzip.prune.report.LayerCosts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search's encoding and the structured pruner on a foreign MobileNetV2-style graph (scripts/mobilenetv2-fmnist.py:
 * PyTorch-trained, torch.onnx.export at opset 13, BatchNorm folded): a stride-2 stem, seven inverted residual blocks
 * (1x1 expand, 3x3 depthwise, 1x1 linear projection, residual Adds, ReLU6 as Clip), a 1x1 head, ReduceMean, Gemm.
 * References are independent of the pruner: MACs counted by hand from the written weight shapes and the architecture's
 * known feature-map sides, channel counts read off the written tensors, and ONNX Runtime running the written file.
 */
class MobileNetV2StyleTest {
    static final String FIXTURE = "src/test/resources/pytorch-normalized/mobilenetv2.onnx";
    /** Output side of every Conv in node order: stem to 14x14, the depthwise convs of blocks 2 and 6 halve it (7, 4). */
    static final int[] SIDE = {14, 14, 14, 14, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 4, 4, 4, 4, 4, 4};
    /** Channels of the residual streams (stem + block 1, blocks 2-3, 4-5, 6-7); every other group is an expansion or the head. */
    static final List<Integer> RESIDUAL = List.of(16, 24, 32, 48);

    static Model fixture() {
        Model m = OnnxReader.read(Path.of(FIXTURE));
        io.nnzip.engine.Canonical.apply(m);
        return m;
    }

    /** MACs for one image: every Conv's weight size times its output area, plus the Gemm's weight size. */
    static long handMacs(Model p) {
        long macs = 0;
        int conv = 0;
        for (Node n : p.graph().nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm")) continue;
            long size = 1;
            for (int d : p.graph().initializer(n.input(1)).shape()) size *= d;
            if (n.opType().equals("Conv")) size *= (long) SIDE[conv] * SIDE[conv++];
            macs += size;
        }
        assertEquals(SIDE.length, conv, "the fixture's 22 convs");
        return macs;
    }

    static long outChannels(Model p, String value) {
        Node n = p.graph().producers().get(value);
        return switch (n.opType()) {
            case "Conv" -> p.graph().initializer(n.input(1)).shape()[0];
            case "Clip", "Add" -> outChannels(p, n.input(0));
            default -> throw new AssertionError("unexpected producer " + n.describe());
        };
    }

    /** Depthwise convs keep group = their channels = the producer's channels = the projection's inputs; Adds join equal widths. */
    static void assertCoupled(Model p) {
        Map<String, List<Node>> consumers = p.graph().consumers();
        int depthwise = 0, adds = 0;
        for (Node n : p.graph().nodes()) {
            if (n.opType().equals("Conv") && n.attrInt("group", 1) > 1) {
                depthwise++;
                int[] w = p.graph().initializer(n.input(1)).shape();
                assertEquals(n.attrInt("group", 1), w[0], n.describe());
                assertEquals(1, w[1], n.describe());
                assertEquals(w[0], outChannels(p, n.input(0)), n.describe() + ": its input's channels");
                Node act = consumers.get(n.output(0)).getFirst();
                Node proj = consumers.get(act.output(0)).getFirst();
                assertEquals("Conv", proj.opType());
                assertEquals(w[0], p.graph().initializer(proj.input(1)).shape()[1], proj.describe() + ": the projection's inputs");
            }
            if (n.opType().equals("Add")) {
                adds++;
                assertEquals(outChannels(p, n.input(0)), outChannels(p, n.input(1)), n.describe());
            }
        }
        assertEquals(7, depthwise);
        assertEquals(4, adds);
    }

    @Test
    void theOriginalCountsByHand() {
        Model m = fixture();
        assertEquals(2_182_144, handMacs(m));
        assertEquals(handMacs(m), LayerCosts.totalMacs(m, 1));
        assertCoupled(m);
    }

    @Test
    void aGenomeShrinksExpansionsDepthwiseAndProjectionsTogetherAndResidualStreamsAsOne() {
        Model m = fixture();
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        // one gene per coupled group: the 4 residual streams, the 6 expansions (block 1 has none) and the head
        assertEquals(11, enc.length());
        double[] genes = new double[enc.length()];
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < genes.length; i++) {
            int c = enc.groups.get(i).prunable().size();
            widths.add(c);
            genes[i] = RESIDUAL.contains(c) ? 0.75 : 0.5;
        }
        assertEquals(List.of(16, 24, 32, 48), widths.stream().filter(RESIDUAL::contains).sorted().toList(), "one gene per residual stream");
        StructuredPruner.Result r = enc.prune(genes);
        Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
        assertCoupled(p);
        for (Node n : p.graph().nodes()) {
            if (!n.opType().equals("Conv")) continue;
            int[] w = p.graph().initializer(n.input(1)).shape(), w0 = m.graph().initializer(n.input(1)).shape();
            boolean residualOut = RESIDUAL.contains((int) w0[0]) && n.attrInt("group", 1) == 1;
            // a residual stream keeps 3/4 of its channels, an expansion (and its depthwise conv) or the head 1/2
            if (n.attrInt("group", 1) > 1) assertEquals(w0[0] == 16 ? 12 : w0[0] / 2, w[0], n.describe());
            else assertEquals(residualOut ? w0[0] * 3 / 4 : w0[0] / 2, w[0], n.describe());
        }
        long macs = handMacs(p);
        assertEquals(macs, LayerCosts.totalMacs(p, 1));
        assertEquals(macs / (double) handMacs(m), enc.cost(genes), 1e-12, "the search's cost is the hand-counted share");
        io.nnzip.pytorch.TorchvisionPruneTest.assertRunsAsMasked("mobilenetv2", m, r, p, 7);
    }

    record Outcome(int code, String out, String err) {}

    static Outcome cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Outcome(io.nnzip.cli.Main.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The three arms of the issue-17 bench, through the CLI, on the foreign graph: each written file runs in ORT at its hand-counted MACs. */
    @Test
    @SuppressWarnings("unchecked")
    void theBenchArmsRunOnTheForeignGraph(@TempDir Path dir) throws Exception {
        List<String> common = List.of("--data", "fashion-mnist", "--normalize", "0.2860,0.3530", "--limit", "200", "--finetune", "1",
                "--seed", "1", "--round-to", "1", "--threads", "1", "--json", "--no-progress");
        List<List<String>> arms = List.of(
                List.of("search", FIXTURE, "--target-macs", "0.4", "--population", "3", "--generations", "1", "--holdout", "100",
                        "--fitness-images", "32", "--final-top", "2", "--seed-population", "uniform"),
                List.of("prune", FIXTURE, "--structured", "--method", "l1-filter", "--amount", "0.41", "--latency-batch", "0", "--calib-batches", "1"),
                List.of("prune", FIXTURE, "--structured", "--method", "l1-filter", "--amount-per-layer", "auto", "--target-macs", "0.4", "--latency-batch", "0", "--calib-batches", "1"));
        long base = handMacs(fixture());
        for (int a = 0; a < arms.size(); a++) {
            Path out = dir.resolve("arm" + a + ".onnx");
            List<String> args = new ArrayList<>(arms.get(a));
            args.addAll(common);
            args.addAll(List.of("-o", out.toString()));
            Outcome o = cli(args.toArray(String[]::new));
            assertEquals(0, o.code(), args + ": " + o.err());
            Map<String, Object> r = new ObjectMapper().readValue(o.out(), Map.class);
            Model p = OnnxReader.read(out);
            long macs = handMacs(p);
            assertTrue(macs <= 0.4 * base + 1, args.get(0) + ": " + macs + " of " + base);
            assertTrue(macs >= 0.3 * base, args.get(0) + " spends the budget: " + macs + " of " + base);
            Object reported = r.containsKey("macs_after") ? r.get("macs_after") : ((Map<String, Object>) r.get("after")).get("macs");
            assertEquals(macs, ((Number) reported).longValue(), args.get(0));
            assertCoupled(p);
            try (OrtRunner ort = new OrtRunner(p, 1)) {
                Tensor y = ort.run(ValueProbe.randomFeeds(p, 3, 1)).get(p.graph().outputNames().getFirst());
                assertArrayEquals(new int[] {3, 10}, y.shape());
                for (float v : y.floats()) assertTrue(Float.isFinite(v));
            }
        }
    }
}
