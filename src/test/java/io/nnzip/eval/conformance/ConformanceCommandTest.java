package io.nnzip.eval.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ConformanceCommandTest {
    private static String capture(Runnable r, int[] code) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    @Test
    void jsonReportHasTheDocumentedKeys() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(ConformanceRunner.DEFAULT_DIR), "conformance suite not installed");
        int[] code = new int[1];
        String out = capture(() -> code[0] = Main.run("conformance", "--filter", "node/test_(relu|softmax_axis_0|add_bcast)$", "--json"), code);
        JsonNode j = new ObjectMapper().readTree(out);
        assertEquals(0, code[0]);
        assertEquals(3, j.get("passed").asInt(), out);
        assertEquals(0, j.get("failed").asInt());
        for (String k : new String[] {"unsupported", "per_op", "failures", "unsupported_reasons"}) assertTrue(j.has(k), k);
        assertEquals(1, j.get("per_op").get("Relu").get("passed").asInt());
    }

    @Test
    void missingSuiteDirIsAUserError() {
        int[] code = new int[1];
        capture(() -> code[0] = Main.run("conformance", "--dir", "/nonexistent/suite"), code);
        assertEquals(2, code[0]);
    }
}
