package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.prune.PruneCliTest.Outcome;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prune --method dns end to end on a few hundred images: the written weights hold the sparsity, counted by hand. */
class DnsCliTest {
    static final String MLP = "src/test/resources/pytorch-normalized/mlp.onnx";

    @Test
    void dnsWritesExactlyTheGlobalSparsityAndSaysItsSchedule(@TempDir Path dir) {
        Path out = dir.resolve("d.onnx");
        Outcome o = PruneCliTest.run("prune", MLP, "--method", "dns", "--amount", "0.9", "--scope", "global", "--finetune", "1",
                "--data", "fashion-mnist", "--normalize", "0.2860,0.3530", "--limit", "320", "--threads", "1", "--latency-batch", "0",
                "--json", "--no-progress", "-o", out.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("masks fixed from step"), o.out());
        long zeros = 0, total = 0;
        for (Tensor t : OnnxReader.read(out).graph().initializers().values()) {
            if (t.shape().length != 2) continue;
            for (float v : t.toFloats()) if (v == 0f) zeros++;
            total += t.size();
        }
        // 784·300 + 300·100 + 100·10 = 266,200 weights, 90 % of them zero (per-layer shares of a global threshold, each rounded)
        assertEquals(266_200, total);
        assertEquals(0.9, (double) zeros / total, 0.001);
    }

    @Test
    void dnsWithoutFineTuningIsOneLine(@TempDir Path dir) {
        Outcome o = PruneCliTest.run("prune", MLP, "--method", "dns", "--amount", "0.9", "-o", dir.resolve("x.onnx").toString());
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("--method dns prunes while fine-tuning"), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
    }
}
