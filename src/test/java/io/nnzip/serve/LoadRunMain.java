package io.nnzip.serve;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounded load run for BENCHMARKS.md (not a test): a server on 127.0.0.1 with a 1.6 MB-float CNN in 4 versions,
 * updates from versions 1..3 to 4 cached, then {@code threads} local clients GET them for {@code seconds}; then the
 * same for the full .nnz stream of version 4 as the peer, each after a 5 s unmeasured warm-up. Prints requests/s, MB/s and latency percentiles.
 * Usage: LoadRunMain [seconds-per-phase=20] [threads=8]
 */
public final class LoadRunMain {
    public static void main(String[] a) throws Exception {
        int seconds = a.length > 0 ? Integer.parseInt(a[0]) : 20, threads = a.length > 1 ? Integer.parseInt(a[1]) : 8;
        Path dir = Files.createTempDirectory("nnzip-load");
        ModelRepository repo = new ModelRepository(dir, CodecOptions.defaults());
        try (ModelServer s = new ModelServer(repo, new ModelServer.Config("127.0.0.1", 0, "t", 1L << 30))) {
            Model m = SyntheticModels.cnn(7, 32, 64, 128);
            List<String> bases = new ArrayList<>();
            for (int v = 1; v <= 4; v++) {
                repo.publish("cnn", OnnxWriter.toBytes(m), null, 0);
                if (v < 4) bases.add(repo.version("cnn", Integer.toString(v)).modelHash());
                m = SyntheticModels.finetune(m, v, 0.02);
            }
            List<String> updUrls = new ArrayList<>();
            long updBytes = 0;
            for (String b : bases) {
                updBytes += repo.update("cnn", "4", b).bytes();
                updUrls.add(s.url() + "/v1/models/cnn/versions/4/update?from=" + b);
            }
            System.out.printf("float32 %d B, full .nnz %d B, mean cached update %d B%n", repo.version("cnn", "4").floatBytes(),
                    repo.version("cnn", "4").nnzBytes(), updBytes / bases.size());
            // warm-up (JIT, connections) for both, unmeasured, then the measured phases
            phase(null, updUrls, 5, threads);
            phase(null, List.of(s.url() + "/v1/models/cnn/versions/4"), 5, threads);
            phase("cached updates", updUrls, seconds, threads);
            phase("full .nnz (peer)", List.of(s.url() + "/v1/models/cnn/versions/4"), seconds, threads);
        }
    }

    static void phase(String name, List<String> urls, int seconds, int threads) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong bytes = new AtomicLong(), errors = new AtomicLong();
        List<long[]> lat = new ArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long[] l = new long[400_000];
            lat.add(l);
            int id = t;
            Thread th = new Thread(() -> {
                HttpClient c = HttpClient.newHttpClient();
                int n = 0;
                for (int i = id; System.nanoTime() < end && n < l.length - 1; i++) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(URI.create(urls.get(i % urls.size()))).build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() != 200) errors.incrementAndGet();
                        bytes.addAndGet(r.body().length);
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    l[++n] = System.nanoTime() - t0;
                }
                l[0] = n;
            });
            th.start();
            ts.add(th);
        }
        for (Thread th : ts) th.join();
        if (name == null) return;
        long[] all = lat.stream().flatMapToLong(l -> Arrays.stream(l, 1, 1 + (int) l[0])).sorted().toArray();
        System.out.printf("%-18s %d threads x %d s: %d requests, %.0f req/s, %.1f MB/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, %d errors%n", name, threads, seconds,
                all.length, all.length / (double) seconds, bytes.get() / 1e6 / seconds, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6,
                all[all.length - 1] / 1e6, errors.get());
    }
}
