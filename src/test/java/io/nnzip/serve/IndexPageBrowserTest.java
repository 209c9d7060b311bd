package io.nnzip.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The root page as headless Chromium renders it (DOM after parsing): every version, its sizes and hash, the chart. */
class IndexPageBrowserTest {
    @TempDir
    Path dir;

    @Test
    void chromiumShowsVersionsSizesHashesAndTheChart() throws Exception {
        String chromium = Stream.of("chromium", "chromium-browser").map(IndexPageBrowserTest::onPath).filter(p -> p != null).findFirst().orElse(null);
        Assumptions.assumeTrue(chromium != null, "SKIPPED: chromium is not installed (apt-get install chromium)");
        ModelRepository repo = new ModelRepository(dir.resolve("repo"), CodecOptions.defaults().withThreads(1));
        try (ModelServer s = new ModelServer(repo, new ModelServer.Config("127.0.0.1", 0, "t", 1 << 20))) {
            Model m = OnnxReader.read(Path.of("src/test/resources/codec/v4/base.onnx"));
            RepoClient c = new RepoClient();
            for (int i = 0; i < 3; i++) {
                c.publish(RepoClient.Ref.parse(s.url() + "/fmnist-cnn"), OnnxWriter.toBytes(m), "t", null, 0);
                m = SyntheticModels.finetune(m, i, 0.02);
            }
            Model v1 = Pull.pull(c, RepoClient.Ref.parse(s.url() + "/fmnist-cnn@1"), null, 1).model();
            long upd = Pull.pull(c, RepoClient.Ref.parse(s.url() + "/fmnist-cnn@3"), v1, 1).bytesTransferred();
            String dom = dumpDom(chromium, s.url() + "/");
            assertTrue(dom.contains("id=\"model-fmnist-cnn\""), dom);
            assertEquals(3, count(dom, "<tr class=\"version\">"));
            RepoIndex.Version v3 = repo.version("fmnist-cnn", "3");
            assertTrue(dom.contains(v3.modelHash().substring(0, 16)), "hash of v3 missing");
            assertTrue(dom.contains("<td class=\"full-bytes\">" + v3.nnzBytes() + "</td>"), "full size of v3 missing");
            assertTrue(dom.contains("<td class=\"update-bytes\">" + upd + "</td>"), "update size of v3 missing");
            Matcher svg = Pattern.compile("<svg[^>]*class=\"chart\"[\\s\\S]*?</svg>").matcher(dom);
            assertTrue(svg.find(), "no chart");
            // 3 full bars + 1 update bar + 2 legend swatches
            assertEquals(6, count(svg.group(), "<rect"));
            assertEquals(ModelHash.hex(ModelHash.of(v1)), repo.version("fmnist-cnn", "1").modelHash());
        }
    }

    static String dumpDom(String chromium, String url) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        Process p = new ProcessBuilder(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile, "--dump-dom", url))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium did not finish");
        return new String(out, StandardCharsets.UTF_8);
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
        return n;
    }

    static String onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d, exe);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }
}
