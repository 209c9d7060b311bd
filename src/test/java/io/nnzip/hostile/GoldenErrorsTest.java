package io.nnzip.hostile;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every case of the golden-error corpus, run through the CLI entry point: exit code ≠ 0, exactly the manifest's
 * one-line error, no output file left behind, and (audited by JFR's file-read events, independently of nnzip's own
 * code) no byte read from the sentinel next to the case's folder or from /etc or /proc.
 */
class GoldenErrorsTest {
    static final Path ROOT = Path.of("src/test/resources/golden-errors");

    @Test
    void everyCaseGivesItsOneLineErrorAndTouchesNothingOutside(@TempDir Path tmp) throws Exception {
        List<GoldenErrors.Entry> entries = GoldenErrors.manifest(ROOT);
        assertTrue(entries.size() >= 40, "corpus has " + entries.size() + " cases");
        List<String> failures = new ArrayList<>();
        Map<String, Path> work = new LinkedHashMap<>();
        Path jfr = tmp.resolve("reads.jfr");
        try (Recording r = new Recording()) {
            r.enable("jdk.FileRead").withThreshold(Duration.ZERO);
            r.start();
            for (GoldenErrors.Entry e : entries) {
                Path w = Files.createDirectories(tmp.resolve(e.name()));
                work.put(e.name(), w);
                Path dir = GoldenErrors.layOut(files(ROOT.resolve(e.name())), w);
                Path out = GoldenErrors.outFor(e.command(), w);
                GoldenErrors.Outcome o = GoldenErrors.run(GoldenErrors.args(e.command(), dir, e.input(), out));
                String expected = e.expected().replace("{dir}", dir.toString()).replace("{out}", out.toString());
                if (o.code() == 0) failures.add(e.name() + ": exit 0");
                if (!o.err().strip().equals(expected)) failures.add(e.name() + ":\n  expected " + expected + "\n  got      " + o.err().strip());
                try (Stream<Path> left = Files.list(w.resolve("out"))) {
                    List<Path> l = left.toList();
                    if (!l.isEmpty()) failures.add(e.name() + ": left " + l);
                }
            }
            r.stop();
            r.dump(jfr);
        }
        for (RecordedEvent ev : RecordingFile.readAllEvents(jfr)) {
            String path = ev.getString("path");
            if (path == null || !ev.getEventType().getName().equals("jdk.FileRead")) continue;
            if (path.endsWith("sentinel.bin") || path.startsWith("/etc/") || path.startsWith("/proc/self/environ"))
                failures.add("read outside a model's folder: " + path + " (" + ev.getEventType().getName() + ")");
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    static Map<String, byte[]> files(Path caseDir) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(caseDir)) {
            for (Path p : s.sorted().toList()) m.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return m;
    }
}
