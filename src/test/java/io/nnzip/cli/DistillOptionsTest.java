package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The data-free and adversarial options of distill and quantize: parsed values, ranges, and one-line refusals. */
class DistillOptionsTest {
    @TempDir Path dir;

    @Test
    void dataFreeAndAdversarialOptionsParse() {
        DistillCommand c = new DistillCommand();
        OptionRules.check(new CommandLine(c).parseArgs("--teacher", "t.onnx", "--student", "mlp", "-o", "s.onnx", "--data-free", "--bn-weight", "0.05",
                "--adversarial", "--disc-weight", "0.3", "--synthetic-images", "5000"));
        assertTrue(c.dataFree);
        assertEquals(0.05f, c.bnWeight);
        assertTrue(c.adversarial);
        assertEquals(0.3f, c.discWeight);
        assertEquals(5000, c.syntheticImages);
        DistillCommand d = new DistillCommand();
        new CommandLine(d).parseArgs("--teacher", "t.onnx", "--student", "mlp", "-o", "s.onnx");
        assertFalse(d.adversarial);
        assertEquals(0f, d.bnWeight, "DAFL's losses only by default");
        assertEquals(0.1f, d.discWeight);
    }

    @Test
    void softTargetDefaultsFollowTheStudentUnlessGiven() {
        DistillCommand d = new DistillCommand();
        new CommandLine(d).parseArgs("--teacher", "t.onnx", "--student", "vit", "-o", "s.onnx");
        assertNull(d.temperature, "no temperature given: the student decides");
        assertNull(d.matchScale);
        assertNull(d.alpha);
        io.nnzip.distill.StudentDefaults vit = io.nnzip.distill.StudentDefaults.of(io.nnzip.models.Models.create("vit", 0.5f, 10, 1));
        io.nnzip.distill.StudentDefaults cnn = io.nnzip.distill.StudentDefaults.of(io.nnzip.models.Models.create("studentnet", 1f, 10, 1));
        assertEquals(1f, vit.temperature(d.temperature));
        assertEquals(0.5f, vit.alpha(d.alpha));
        assertEquals(0.9f, cnn.alpha(d.alpha));
        assertFalse(vit.matchScale(d.matchScale));
        assertEquals(4f, cnn.temperature(d.temperature));
        assertTrue(cnn.matchScale(d.matchScale));
        DistillCommand e = new DistillCommand();
        new CommandLine(e).parseArgs("--teacher", "t.onnx", "--student", "vit", "-o", "s.onnx", "--temperature", "3", "--match-scale", "--alpha", "0.7");
        assertEquals(3f, vit.temperature(e.temperature), "a given temperature wins");
        assertEquals(0.7f, vit.alpha(e.alpha));
        assertTrue(vit.matchScale(e.matchScale));
        DistillCommand f = new DistillCommand();
        new CommandLine(f).parseArgs("--teacher", "t.onnx", "--student", "studentnet", "-o", "s.onnx", "--no-match-scale");
        assertFalse(cnn.matchScale(f.matchScale));
    }

    /** A recipe's distill step (the pass built from its options) gets the same defaults by student as the command. */
    @Test
    void aRecipeStepGetsTheStudentsDefaultsToo() {
        io.nnzip.ir.Model vit = io.nnzip.models.Models.create("vit", 0.5f, 10, 1), cnn = io.nnzip.models.Models.create("studentnet", 1f, 10, 1);
        io.nnzip.distill.DistillPass step = io.nnzip.distill.DistillPass.of(java.util.Map.of("student", "vit", "epochs", 1));
        io.nnzip.distill.DistillConfig v = step.forStudent(vit).config(), c = step.forStudent(cnn).config();
        assertEquals(List.of(1f, 0.5f, false), List.of(v.temperature(), v.alpha(), v.matchScale()));
        assertEquals(List.of(4f, 0.9f, true), List.of(c.temperature(), c.alpha(), c.matchScale()));
        io.nnzip.distill.DistillConfig given = io.nnzip.distill.DistillPass.of(java.util.Map.of("temperature", 3, "alpha", 0.7, "match_scale", true)).forStudent(vit).config();
        assertEquals(List.of(3f, 0.7f, true), List.of(given.temperature(), given.alpha(), given.matchScale()));
    }

    @Test
    void negativeWeightsAreRangeErrors() {
        for (String opt : new String[] {"--bn-weight", "--disc-weight"}) {
            CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class, () -> OptionRules.check(new CommandLine(new DistillCommand())
                    .parseArgs("--teacher", "t.onnx", "--student", "mlp", "-o", "s.onnx", opt, "-0.5")));
            assertTrue(e.getMessage().contains(opt + " -0.5 is out of range"), e.getMessage());
        }
    }

    @Test
    void bnWeightWithoutDataFreeIsOneLine() {
        CliErrorsTest.Outcome o = CliErrorsTest.run("distill", "--teacher", dir.resolve("t.onnx").toString(), "--student", "mlp", "--bn-weight", "0.1",
                "-o", dir.resolve("s.onnx").toString());
        CliErrorsTest.assertOneLineError(o, "--bn-weight", "--data-free");
    }

    @Test
    void bnStatsCalibrationNeedsBatchNormalization() throws Exception {
        Path m = dir.resolve("mlp.onnx");
        Files.write(m, OnnxWriter.toBytes(io.nnzip.models.Models.create("mlp", 0.25f, 10, 1)));
        CliErrorsTest.Outcome o = CliErrorsTest.run("quantize", m.toString(), "--scheme", "int8", "--calib-data", "bn-stats", "-o", dir.resolve("q.onnx").toString());
        CliErrorsTest.assertOneLineError(o, "--calib-data bn-stats", "no BatchNormalization");
    }
}
