package io.nnzip.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a separate {@code nnzip serve} process while a client publishes, twice over, then a restart: the
 * index must load, name only complete blobs (each blob's bytes hash to its name), every version must decode to the
 * hash the index records, and no temporary file may survive the reopen.
 */
class KillDuringPublishTest {
    @TempDir
    Path dir;

    @Test
    void repositoryIsConsistentAfterKillNineDuringPublish() throws Exception {
        Path repoDir = dir.resolve("repo"), tok = dir.resolve("token");
        Files.writeString(tok, "tok\n");
        Model m = SyntheticModels.cnn(7, 8, 16, 64);
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 6; i++) bodies.add(OnnxWriter.toBytes(SyntheticModels.finetune(m, i, 0.02)));
        int acknowledged = 0;
        for (int round = 0; round < 2; round++) {
            Process p = startServer(repoDir, tok);
            try {
                String url = readUrl(p);
                AtomicInteger ok = new AtomicInteger();
                Thread client = new Thread(() -> {
                    RepoClient c = new RepoClient();
                    for (int i = 0; ; i++) {
                        try {
                            c.publish(RepoClient.Ref.parse(url + "/big"), bodies.get(i % bodies.size()), "tok", null, 0);
                            ok.incrementAndGet();
                        } catch (RuntimeException e) {
                            return; // the server is gone
                        }
                    }
                });
                client.setDaemon(true);
                client.start();
                long t0 = System.nanoTime();
                while (ok.get() < 1 && System.nanoTime() - t0 < 60_000_000_000L) Thread.sleep(5);
                Thread.sleep(37 + 53 * round); // lands somewhere inside a later publish
                p.destroyForcibly().waitFor(); // SIGKILL on Linux
                client.join(20_000);
                acknowledged += ok.get();
            } finally {
                p.destroyForcibly();
            }
            ModelRepository r = new ModelRepository(repoDir, CodecOptions.defaults().withThreads(1));
            checkConsistent(r, repoDir, acknowledged);
        }
    }

    static void checkConsistent(ModelRepository r, Path repoDir, int acknowledged) throws Exception {
        try (var s = Files.list(repoDir.resolve("tmp"))) {
            assertEquals(0, s.count(), "temporaries survived the reopen");
        }
        for (Path b : r.blobs().list()) assertEquals(b.getFileName().toString(), BlobStore.sha256(Files.readAllBytes(b)), "partial blob " + b);
        RepoIndex ix = r.snapshot();
        List<RepoIndex.Version> vs = ix.models.get("big").versions;
        // every acknowledged publish is there; at most the one in flight at the kill is there without its reply
        assertTrue(vs.size() >= acknowledged && vs.size() <= acknowledged + 3, vs.size() + " versions for " + acknowledged + " acknowledged publishes");
        for (RepoIndex.Version v : vs) {
            assertTrue(r.blobs().has(v.nnz()) && r.blobs().has(v.onnx()), "version " + v.version() + " names a missing blob");
            Model dec = NnzCodec.decode(r.blobs().read(v.nnz()));
            assertEquals(v.modelHash(), ModelHash.hex(ModelHash.of(dec)));
            assertEquals(v.modelHash(), ModelHash.hex(ModelHash.of(OnnxReader.read(r.blobs().read(v.onnx()), null))));
        }
    }

    static Process startServer(Path repo, Path tok) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "io.nnzip.cli.Main", "serve", "--repo", repo.toString(), "--port", "0", "--token-file", tok.toString(), "--threads", "1", "--json");
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    static String readUrl(Process p) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()));
        StringBuilder json = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            json.append(line);
            if (line.equals("}")) break;
        }
        return ModelRepository.JSON.readTree(json.toString()).path("url").asText();
    }
}
