package io.nnzip.fuzz;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.serve.ModelRepository;
import io.nnzip.serve.RepoHandler;
import io.nnzip.serve.RepoIndex;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;

/**
 * Coverage-guided fuzzing of {@code nnzip serve}'s request handling: each input becomes one HTTP request (the first
 * byte picks the method; then the path up to the first newline, header lines up to a blank line, and the body) sent
 * through Jetty's in-memory connector to a repository holding two versions of a small model. A finding is a 5xx
 * answer (an exception our handler did not turn into a client error), no answer within the time-out, or a change to
 * what the repository publishes: the fuzzer never holds the token, so nothing it sends may publish.
 */
public final class ServeTarget {
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
    private static ModelRepository repo;
    private static LocalConnector connector;
    private static String published;

    public static void fuzzerInitialize() {
        try {
            Path dir = Files.createTempDirectory("nnzip-fuzz-serve");
            // Jazzer and the corpus test both end by exiting the JVM; without this every run left a repository in /tmp.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> io.nnzip.util.AtomicFiles.deleteTree(dir)));
            repo = new ModelRepository(dir, CodecOptions.defaults().withThreads(1));
            repo.publish("m", OnnxWriter.toBytes(SyntheticModels.cnn(1, 4, 4, 8)), null, 0);
            repo.publish("m", OnnxWriter.toBytes(SyntheticModels.cnn(2, 4, 4, 8)), null, 0);
            Server server = new Server();
            connector = new LocalConnector(server);
            server.addConnector(connector);
            server.setHandler(new RepoHandler(repo, "fuzz-never-sends-this-token-" + System.nanoTime(), 1 << 20));
            server.start();
            published = fingerprint(repo.snapshot());
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the fuzzed server", e);
        }
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (repo == null) fuzzerInitialize();
        String answer;
        try {
            answer = connector.getResponse(request(data), 10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the connector failed", e);
        }
        if (answer == null) throw new IllegalStateException("no answer within 10 s");
        int sp = answer.indexOf(' ');
        int status = sp < 0 || answer.length() < sp + 4 ? -1 : Integer.parseInt(answer.substring(sp + 1, sp + 4));
        if (status < 100 || status >= 500) throw new IllegalStateException("server error: " + answer.lines().findFirst().orElse(""));
        if (!published.equals(fingerprint(repo.snapshot()))) throw new IllegalStateException("an unauthenticated request changed the repository");
    }

    /** The raw request: our method and Host, the input's path, headers and body; the length is always the body's. */
    static String request(byte[] data) {
        String method = METHODS[data.length == 0 ? 0 : (data[0] & 0xff) % METHODS.length];
        String s = new String(FuzzSeeds.body(data), StandardCharsets.ISO_8859_1);
        int nl = s.indexOf('\n');
        String path = (nl < 0 ? s : s.substring(0, nl)).replace("\r", "");
        String rest = nl < 0 ? "" : s.substring(nl + 1);
        int blank = rest.indexOf("\n\n");
        String headers = blank < 0 ? rest : rest.substring(0, blank);
        String body = blank < 0 ? "" : rest.substring(blank + 2);
        StringBuilder r = new StringBuilder(method).append(' ').append(path.startsWith("/") ? path : "/" + path).append(" HTTP/1.1\r\nHost: fuzz\r\n");
        for (String h : headers.split("\n")) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (h.isBlank() || lower.startsWith("content-length") || lower.startsWith("transfer-encoding") || lower.startsWith("connection")) continue;
            r.append(h.replace("\r", "")).append("\r\n");
        }
        return r.append("Content-Length: ").append(body.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\nConnection: close\r\n\r\n").append(body).toString();
    }

    private static String fingerprint(RepoIndex index) {
        StringBuilder b = new StringBuilder();
        index.models.forEach((name, e) -> {
            b.append(name).append(':');
            for (RepoIndex.Version v : e.versions) b.append(v.version()).append('=').append(v.modelHash()).append(',');
            e.rounds.forEach((r, round) -> b.append(r).append('/').append(round.contributions.size()).append(round.aggregated));
            b.append(';');
        });
        return b.toString();
    }
}
