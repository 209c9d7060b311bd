package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.prune.PruneCliTest.Outcome;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nnzip search end to end on a few hundred Fashion-MNIST images: report, provenance, plan replay, chart, checkpoint. */
class SearchCliTest {
    @Test
    @SuppressWarnings("unchecked")
    void searchWritesAModelWithinTheBudgetAReplayablePlanAChartAndProvenance(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s.onnx"), plan = dir.resolve("plan.json"), png = dir.resolve("s.png"), ck = dir.resolve("ck.json");
        String cnn = "src/test/resources/pytorch-normalized/cnn.onnx";
        List<String> common = List.of("--data", "fashion-mnist", "--normalize", "0.2860,0.3530", "--limit", "300", "--threads", "1", "--json", "--no-progress");
        java.util.List<String> args = new java.util.ArrayList<>(List.of("search", cnn, "--target-macs", "0.5", "--population", "3", "--generations", "1",
                "--holdout", "100", "--fitness-images", "64", "--final-top", "2", "--rank-by", "accuracy", "-o", out.toString(), "--plan", plan.toString(), "--plot", png.toString(), "--checkpoint", ck.toString()));
        args.addAll(common);
        Outcome o = PruneCliTest.run(args.toArray(String[]::new));
        assertEquals(0, o.code(), o.err());
        Map<String, Object> r = new ObjectMapper().readValue(o.out(), Map.class);
        assertTrue(((Number) r.get("macs_kept")).doubleValue() <= 0.5, o.out());
        assertEquals(2, ((List<?>) r.get("generations")).size());
        // the final round rescored the last generation's two best distinct genomes (fine-tuned on the 200 non-held-out images)
        List<Map<String, Object>> fin = (List<Map<String, Object>>) r.get("final_round");
        assertEquals(2, fin.size(), o.out());
        assertTrue(fin.contains(r.get("best")), "the winner is one of the rescored");
        assertTrue(o.err().contains("final round 2/2"), o.err());
        double best = ((Number) ((Map<String, Object>) r.get("best")).get("fitness")).doubleValue();
        for (Map<String, Object> f : fin) assertTrue(((Number) f.get("fitness")).doubleValue() <= best);
        assertEquals(((Number) ((Map<String, Object>) r.get("best")).get("accuracy")).doubleValue(), best, 0, "--rank-by accuracy ranks by accuracy");
        assertTrue(((Number) r.get("evaluations_shared")).intValue() >= 0);
        assertTrue(((Map<String, Object>) r.get("seconds_per_evaluation")).containsKey("mean"));
        assertTrue(o.err().contains("generation 1/1"), o.err());
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
        assertTrue(Files.size(ck) > 0);
        Model p = OnnxReader.read(out);
        Map<String, Object> prov = io.nnzip.pass.Provenance.read(p, "search");
        Map<String, Object> opts = (Map<String, Object>) prov.get("options");
        assertEquals(3, ((Number) opts.get("population")).intValue());
        assertEquals("accuracy", opts.get("rank_by"));
        assertEquals(2, ((Number) opts.get("final_top")).intValue());
        assertEquals("uniform,sensitivity", opts.get("seed_population"));
        assertTrue(((Map<String, String>) prov.get("option_descriptions")).get("seed_population").contains("sensitivity"));
        assertTrue(r.containsKey("sensitivity_seed"), o.out());
        assertTrue(((Map<String, String>) prov.get("option_descriptions")).get("mutation").contains("mutation"));
        // the plan replays to the same weights, through prune --replay as well as search --replay
        Path again = dir.resolve("r.onnx");
        assertEquals(0, PruneCliTest.run("prune", cnn, "--replay", plan.toString(), "-o", again.toString(), "--latency-batch", "0").code());
        assertEquals(p.graph().initializers(), OnnxReader.read(again).graph().initializers());
        assertNotNull(r.get("accuracy_original"));
    }

    /**
     * --final-epochs/--final-seeds: the winner's rescored accuracy and loss are the means over two fine-tunes at the
     * output's budget (1 epoch, cosine from --lr, seeds seed and seed+1) on the non-held-out images, recomputed here
     * with the plain Trainer and Evaluator on the winner's plan replayed.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theFinalRoundAtTheOutputsBudgetAveragesItsSeeds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s.onnx"), plan = dir.resolve("plan.json"), pruned = dir.resolve("p.onnx");
        String cnn = "src/test/resources/pytorch-normalized/cnn.onnx";
        Outcome o = PruneCliTest.run("search", cnn, "--target-macs", "0.5", "--population", "3", "--generations", "1", "--holdout", "100",
                "--fitness-images", "64", "--final-top", "2", "--final-epochs", "1", "--final-seeds", "2", "--lr", "0.003", "--seed", "5",
                "-o", out.toString(), "--plan", plan.toString(), "--data", "fashion-mnist", "--normalize", "0.2860,0.3530", "--limit", "300",
                "--threads", "1", "--json", "--no-progress");
        assertEquals(0, o.code(), o.err());
        Map<String, Object> r = new ObjectMapper().readValue(o.out(), Map.class);
        List<Map<String, Object>> fin = (List<Map<String, Object>>) r.get("final_round");
        assertTrue(fin.size() >= 2, o.out());
        assertTrue(o.err().contains("final round " + fin.size() + "/" + fin.size()), o.err());
        Map<String, Object> best = (Map<String, Object>) r.get("best");
        assertEquals(0, PruneCliTest.run("prune", cnn, "--replay", plan.toString(), "-o", pruned.toString(), "--latency-batch", "0").code());
        io.nnzip.data.Dataset[] parts = io.nnzip.data.Datasets.load("fashion-mnist", "train").head(300).split(100, 5);
        io.nnzip.data.Normalization norm = io.nnzip.data.Normalization.parse("0.2860,0.3530");
        double acc = 0, loss = 0;
        for (long seed : new long[] {5, 6}) {
            Model m = OnnxReader.read(pruned);
            io.nnzip.engine.Canonical.apply(m);
            var opt = new io.nnzip.train.Trainer.Options().epochs(1).lr(0.003f).optimizer("adam").schedule("cosine").seed(seed).threads(1);
            try (io.nnzip.train.Trainer t = new io.nnzip.train.Trainer(m, opt)) {
                t.fit(parts[0], null, norm, new io.nnzip.train.TrainListener() {});
                var e = io.nnzip.train.Evaluator.evaluate(io.nnzip.train.Evaluator.engine(t.model(), t.parallel()), parts[1], norm, 256);
                acc += e.accuracy() / 2;
                loss += e.loss() / 2;
            }
        }
        assertEquals(acc, ((Number) best.get("accuracy")).doubleValue(), 1e-9, o.out());
        assertEquals(loss, ((Number) best.get("loss")).doubleValue(), 1e-5, o.out());
        Map<String, Object> opts = (Map<String, Object>) io.nnzip.pass.Provenance.read(OnnxReader.read(out), "search").get("options");
        assertEquals(1, ((Number) opts.get("final_epochs")).intValue());
        assertEquals(2, ((Number) opts.get("final_seeds")).intValue());
    }

    /**
     * --fitness-epochs: a candidate's fitness is its held-out accuracy after that many epochs with cosine decay on
     * the --fitness-images slice, recomputed here with the plain Trainer on the search's best (no final round).
     */
    @Test
    @SuppressWarnings("unchecked")
    void aFitnessAtTheOutputsBudget(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s.onnx"), plan = dir.resolve("plan.json"), pruned = dir.resolve("p.onnx");
        String cnn = "src/test/resources/pytorch-normalized/cnn.onnx";
        Outcome o = PruneCliTest.run("search", cnn, "--target-macs", "0.5", "--population", "2", "--generations", "0", "--elitism", "1", "--holdout", "100",
                "--fitness-images", "120", "--fitness-epochs", "2", "--final-top", "0", "--lr", "0.003", "--seed", "7",
                "-o", out.toString(), "--plan", plan.toString(), "--data", "fashion-mnist", "--normalize", "0.2860,0.3530", "--limit", "300",
                "--threads", "1", "--json", "--no-progress");
        assertEquals(0, o.code(), o.err());
        Map<String, Object> best = (Map<String, Object>) new ObjectMapper().readValue(o.out(), Map.class).get("best");
        assertEquals(0, PruneCliTest.run("prune", cnn, "--replay", plan.toString(), "-o", pruned.toString(), "--latency-batch", "0").code());
        io.nnzip.data.Dataset[] parts = io.nnzip.data.Datasets.load("fashion-mnist", "train").head(300).split(100, 7);
        io.nnzip.data.Dataset tune = parts[0].split(120, 8)[1];
        io.nnzip.data.Normalization norm = io.nnzip.data.Normalization.parse("0.2860,0.3530");
        Model m = OnnxReader.read(pruned);
        io.nnzip.engine.Canonical.apply(m);
        var opt = new io.nnzip.train.Trainer.Options().epochs(2).lr(0.003f).optimizer("adam").schedule("cosine").seed(7).threads(1);
        try (io.nnzip.train.Trainer t = new io.nnzip.train.Trainer(m, opt)) {
            t.fit(tune, null, norm, new io.nnzip.train.TrainListener() {});
            var e = io.nnzip.train.Evaluator.evaluate(io.nnzip.train.Evaluator.engine(t.model(), t.parallel()), parts[1], norm, 256);
            assertEquals(e.accuracy(), ((Number) best.get("accuracy")).doubleValue(), 1e-9, o.out());
            assertEquals(e.loss(), ((Number) best.get("loss")).doubleValue(), 1e-5, o.out());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aLatencyTargetRoundsWidthsTo16ByDefaultAndRecordsIt(@TempDir Path dir) throws Exception {
        String cnn = "src/test/resources/pytorch-normalized/cnn.onnx";   // convs of 16, 32, 32 channels
        for (String given : new String[] {null, "1"}) {
            Path out = dir.resolve("u" + given + ".onnx");
            List<String> args = new java.util.ArrayList<>(List.of("search", cnn, "--method", "uniform", "--target-latency", "0.5", "--latency-clock", "cpu",
                    "--latency-batch", "8", "--latency-runs", "3", "--threads", "1", "--data", "fashion-mnist", "--normalize", "0.2860,0.3530",
                    "--limit", "300", "--holdout", "100", "--json", "--no-progress", "-o", out.toString()));
            if (given != null) args.addAll(List.of("--round-to", given));
            Outcome o = PruneCliTest.run(args.toArray(String[]::new));
            assertEquals(0, o.code(), o.err());
            Model p = OnnxReader.read(out);
            Map<String, Object> opts = (Map<String, Object>) io.nnzip.pass.Provenance.read(p, "search").get("options");
            assertEquals(given == null ? 16 : 1, ((Number) opts.get("round_to")).intValue());
            if (given != null) continue;
            // the 32-channel convs keep 16 or 32 channels, counted from the written weights
            for (String w : List.of("3.weight", "6.weight")) {
                int outCh = p.graph().initializers().get(w).shape()[0];
                assertTrue(outCh == 16 || outCh == 32, w + " keeps " + outCh);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSecondRunGivenTheLatencyTableKeepsTheSameUniformPrune(@TempDir Path dir) throws Exception {
        String cnn = "src/test/resources/pytorch-normalized/cnn.onnx";
        Path table = dir.resolve("lat.txt");
        List<Map<String, Object>> runs = new java.util.ArrayList<>();
        List<String> channels = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Path out = dir.resolve("u" + run + ".onnx");
            Outcome o = PruneCliTest.run("search", cnn, "--method", "uniform", "--target-latency", "0.6", "--round-to", "1", "--latency-clock", "cpu",
                    "--latency-batch", "8", "--latency-runs", "3", "--latency-samples", "2", "--threads", "1", "--data", "fashion-mnist",
                    "--normalize", "0.2860,0.3530", "--limit", "300", "--holdout", "100", "--latency-table", table.toString(), "--json", "--no-progress",
                    "-o", out.toString());
            assertEquals(0, o.code(), o.err());
            runs.add(new com.fasterxml.jackson.databind.ObjectMapper().readValue(o.out(), Map.class));
            Model p = OnnxReader.read(out);
            channels.add(p.graph().initializers().get("0.weight").shape()[0] + "/" + p.graph().initializers().get("3.weight").shape()[0]
                    + "/" + p.graph().initializers().get("6.weight").shape()[0]);
        }
        Map<String, Object> first = (Map<String, Object>) runs.get(0).get("latency_table"), second = (Map<String, Object>) runs.get(1).get("latency_table");
        int written = ((Number) first.get("written")).intValue();
        assertTrue(written >= 1, "the first run measured and wrote: " + first);
        assertEquals(written + ((Number) second.get("written")).intValue(), java.nio.file.Files.readAllLines(table).size(), "one line per measured network");
        // the bisection up to the first check reads only the table, so the second run walks the first's path without
        // measuring; the check itself is always measured anew, and a check more than 5 % slow sends the ladder lower
        List<Map<String, Object>> s0 = steps(runs.get(0)), s1 = steps(runs.get(1));
        assertEquals(s0.size(), s1.size(), s0 + " vs " + s1);
        for (int i = 0; i < s0.size(); i++) {
            assertEquals(s0.get(i).get("keep"), s1.get(i).get("keep"), "step " + i);
            assertEquals(((Number) s0.get(i).get("measured")).doubleValue(), ((Number) s1.get(i).get("measured")).doubleValue(), 0.0, "step " + i);
            assertEquals(0, ((Number) s1.get(i).get("runs")).intValue(), "step " + i + " of the second run came from the table");
        }
        assertTrue(((Number) second.get("read")).intValue() >= s1.size(), second.toString());
        // when neither run's first check sent the ladder lower, both kept the same channels, counted from the written weights
        if (checks(runs.get(0)) == 1 && checks(runs.get(1)) == 1) assertEquals(channels.get(0), channels.get(1));
        assertNotEquals("16/32/32", channels.get(0));
    }

    /** The uniform ladder's steps before its first check. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> steps(Map<String, Object> run) {
        List<Map<String, Object>> all = (List<Map<String, Object>>) ((Map<String, Object>) run.get("latency")).get("steps"), out = new java.util.ArrayList<>();
        for (Map<String, Object> st : all) {
            if ("check".equals(String.valueOf(st.get("scale")))) break;
            out.add(st);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static long checks(Map<String, Object> run) {
        return ((List<Map<String, Object>>) ((Map<String, Object>) run.get("latency")).get("steps")).stream()
                .filter(st -> "check".equals(String.valueOf(st.get("scale")))).count();
    }

    @Test
    void badOptionsGetOneLineErrors(@TempDir Path dir) {
        Outcome o = PruneCliTest.run("search", "src/test/resources/pytorch-normalized/cnn.onnx", "--encoding", "bits", "--data", "fashion-mnist", "--limit", "200", "-o", dir.resolve("x.onnx").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--encoding must be ratios or filters"), o.err());
        o = PruneCliTest.run("search", "src/test/resources/pytorch-normalized/cnn.onnx", "--resume", "--data", "fashion-mnist", "-o", dir.resolve("x.onnx").toString());
        assertTrue(o.err().contains("--resume needs --checkpoint"), o.err());
        o = PruneCliTest.run("search", "src/test/resources/pytorch-normalized/cnn.onnx", "--rank-by", "f1", "--data", "fashion-mnist", "--limit", "200", "-o", dir.resolve("x.onnx").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--rank-by must be loss or accuracy, not 'f1'"), o.err());
        o = PruneCliTest.run("search", "src/test/resources/pytorch-normalized/cnn.onnx", "--final-top", "-1", "--data", "fashion-mnist", "-o", dir.resolve("x.onnx").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--final-top -1 is out of range (allowed: 0..1000000)"), o.err());
        o = PruneCliTest.run("search", "src/test/resources/pytorch-normalized/cnn.onnx", "--fitness-epochs", "-1", "--data", "fashion-mnist", "-o", dir.resolve("x.onnx").toString());
        assertTrue(o.err().contains("--fitness-epochs -1 is out of range (allowed: 0..1000)"), o.err());
        o = PruneCliTest.run("search", "src/test/resources/pytorch-normalized/cnn.onnx", "--final-seeds", "0", "--data", "fashion-mnist", "-o", dir.resolve("x.onnx").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--final-seeds 0 is out of range (allowed: 1..100)") && o.err().strip().lines().count() == 1, o.err());
    }
}
