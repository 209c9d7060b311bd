package io.nnzip.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server on an ephemeral 127.0.0.1 port, driven over HTTP: the models are the PyTorch-exported fixture and
 * fine-tuned variants of it; the checks compare against independent references (SHA-256 of the bytes, the model
 * hash of a local decode, hand-set byte ranges), not against the server's own claims.
 */
class ServerLoopbackTest {
    static final String TOKEN = "s3cret-token";
    static final int VERSIONS = 6;
    @TempDir
    static Path dir;
    static ModelServer server;
    static ModelRepository repo;
    static String url;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final List<Model> published = new ArrayList<>();

    @BeforeAll
    static void start() {
        repo = new ModelRepository(dir.resolve("repo"), CodecOptions.defaults().withThreads(1));
        server = new ModelServer(repo, new ModelServer.Config("127.0.0.1", 0, TOKEN, 200_000));
        url = server.url();
        Model m = OnnxReader.read(Path.of("src/test/resources/codec/v4/base.onnx"));
        RepoClient c = new RepoClient();
        for (int i = 0; i < VERSIONS; i++) {
            published.add(m);
            c.publish(RepoClient.Ref.parse(url + "/cnn"), OnnxWriter.toBytes(m), TOKEN, null, 0);
            m = SyntheticModels.finetune(m, 100 + i, 0.02);
        }
    }

    @AfterAll
    static void stop() { server.close(); }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> post(String path, byte[] body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (auth != null) b.header("Authorization", auth);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pullWithAnOlderModelTransfersNoMoreThanTheUpdate() {
        RepoClient c = new RepoClient();
        Model v1 = Pull.pull(c, RepoClient.Ref.parse(url + "/cnn@1"), null, 1).model();
        Pull.Result r = Pull.pull(c, RepoClient.Ref.parse(url + "/cnn"), v1, 1);
        assertEquals("update", r.mode());
        RepoIndex.Update u = repo.update("cnn", "latest", ModelHash.hex(ModelHash.of(v1)));
        assertTrue(r.bytesTransferred() <= u.bytes(), r.bytesTransferred() + " > " + u.bytes());
        assertTrue(r.bytesTransferred() < r.fullStreamBytes(), "update " + r.bytesTransferred() + " B not below full " + r.fullStreamBytes());
        // independent check: the patched model is within one quantization step of what was published
        io.nnzip.codec.StepAssertions.assertWithinStep(published.get(VERSIONS - 1), r.model(), CodecOptions.defaults());
    }

    @Test
    void aBaseTheServerNeverSawFallsBackToTheFullStream() {
        Model stranger = SyntheticModels.finetune(published.get(0), 999, 0.05);
        Pull.Result r = Pull.pull(new RepoClient(), RepoClient.Ref.parse(url + "/cnn@3"), stranger, 1);
        assertEquals("full", r.mode());
        assertEquals(repo.version("cnn", "3").nnzBytes(), r.bytesTransferred());
        assertEquals(repo.version("cnn", "3").modelHash(), ModelHash.hex(ModelHash.of(r.model())));
    }

    @Test
    void fiftyConcurrentPullsOfDifferentBasesAllVerify() throws Exception {
        RepoClient c = new RepoClient();
        List<Model> bases = new ArrayList<>();
        for (int v = 1; v < VERSIONS; v++) bases.add(Pull.pull(c, RepoClient.Ref.parse(url + "/cnn@" + v), null, 1).model());
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<Pull.Result>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Model base = bases.get(i % bases.size());
                String target = Integer.toString(2 + (i / bases.size()) % (VERSIONS - 1));
                fs.add(pool.submit(() -> Pull.pull(new RepoClient(), RepoClient.Ref.parse(url + "/cnn@" + target), base, 1)));
            }
            for (Future<Pull.Result> f : fs) {
                Pull.Result r = f.get();
                assertEquals(r.modelHash(), ModelHash.hex(ModelHash.of(r.model())));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void resumedRangeDownloadEqualsTheFullOne() throws Exception {
        HttpResponse<byte[]> full = get("/v1/models/cnn/versions/2?format=onnx");
        assertEquals(200, full.statusCode());
        byte[] all = full.body();
        assertEquals(all.length, Long.parseLong(full.headers().firstValue("Content-Length").orElseThrow()));
        assertEquals("\"" + BlobStore.sha256(all) + "\"", full.headers().firstValue("ETag").orElseThrow());
        int cut = all.length / 3;
        HttpResponse<byte[]> rest = get("/v1/models/cnn/versions/2?format=onnx", "Range", "bytes=" + cut + "-");
        assertEquals(206, rest.statusCode());
        assertEquals("bytes " + cut + "-" + (all.length - 1) + "/" + all.length, rest.headers().firstValue("Content-Range").orElseThrow());
        byte[] joined = new byte[all.length];
        System.arraycopy(all, 0, joined, 0, cut);
        System.arraycopy(rest.body(), 0, joined, cut, rest.body().length);
        assertArrayEquals(all, joined);
        // and the decoded ONNX is the canonical state the index names
        assertEquals(repo.version("cnn", "2").modelHash(), ModelHash.hex(ModelHash.of(OnnxReader.read(joined, null))));
    }

    @Test
    void ifNoneMatchWithTheContentHashGives304() throws Exception {
        HttpResponse<byte[]> a = get("/v1/models/cnn/versions/1");
        String etag = a.headers().firstValue("ETag").orElseThrow();
        assertEquals("\"" + BlobStore.sha256(a.body()) + "\"", etag);
        assertEquals(304, get("/v1/models/cnn/versions/1", "If-None-Match", etag).statusCode());
        assertEquals(200, get("/v1/models/cnn/versions/1", "If-None-Match", "\"" + "0".repeat(64) + "\"").statusCode());
        assertEquals(304, get("/v1/models/cnn/versions/1", "If-None-Match", "W/\"x\", " + etag).statusCode());
        // a malformed entity tag (a fuzzing finding: Jetty answered 500) is the client's error
        assertEquals(400, get("/v1/models/cnn/versions/1", "If-None-Match", "0\"abc\"").statusCode());
        assertEquals(400, get("/v1/models/cnn/versions/1", "If-Match", "\"a\" x").statusCode());
    }

    @Test
    void badInputIsRefusedAndChangesNothing() throws Exception {
        byte[] onnx = Files.readAllBytes(Path.of("src/test/resources/codec/v4/next.onnx"));
        byte[] nnz = NnzCodec.encode(OnnxReader.read(onnx, null), CodecOptions.defaults());
        String before = Files.readString(dir.resolve("repo/index.json"));
        int blobsBefore = repo.blobs().list().size();
        assertEquals(401, post("/v1/models/cnn/versions", onnx, null).statusCode());
        assertEquals(403, post("/v1/models/cnn/versions", onnx, "Bearer wrong").statusCode());
        byte[] truncated = Arrays.copyOf(nnz, nnz.length - 9);
        HttpResponse<String> t = post("/v1/models/cnn/versions", truncated, "Bearer " + TOKEN);
        assertEquals(400, t.statusCode(), t.body());
        byte[] flipped = nnz.clone();
        flipped[nnz.length / 2] ^= 0x10;
        assertEquals(400, post("/v1/models/cnn/versions", flipped, "Bearer " + TOKEN).statusCode());
        assertEquals(400, post("/v1/models/cnn/versions", Arrays.copyOf(onnx, onnx.length / 2), "Bearer " + TOKEN).statusCode());
        assertEquals(400, post("/v1/models/cnn/versions", "hello".getBytes(StandardCharsets.UTF_8), "Bearer " + TOKEN).statusCode());
        assertEquals(404, get("/v1/models/nosuch/versions/1").statusCode());
        assertEquals(404, get("/v1/models/cnn/versions/99").statusCode());
        assertEquals(413, declaredSizeOnly(1_000_000_000L));
        assertEquals(before, Files.readString(dir.resolve("repo/index.json")));
        assertEquals(blobsBefore, repo.blobs().list().size());
    }

    // Sends only the headers of a POST that declares a huge body: the reply must come before any body byte is sent.
    static int declaredSizeOnly(long declared) throws Exception {
        URI u = URI.create(url);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/models/cnn/versions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Length: " + declared
                    + "\r\nContent-Type: application/onnx\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    @Test
    void listsAndPacks() throws Exception {
        HttpResponse<byte[]> l = get("/v1/models");
        assertEquals(200, l.statusCode());
        assertTrue(new String(l.body(), StandardCharsets.UTF_8).contains("\"cnn\""));
        HttpResponse<byte[]> p = get("/v1/pack?models=cnn@2,cnn@3,cnn@4");
        assertEquals(200, p.statusCode());
        assertNotNull(p.headers().firstValue("X-Nnzip-Root").orElse(null));
        var members = NnzCodec.unpack(p.body());
        assertEquals(3, members.size());
        io.nnzip.codec.StepAssertions.assertWithinStep(published.get(2), members.get("cnn@3"), CodecOptions.defaults());
    }

    @Test
    void unknownEndpointsAndBadQueriesAreClearErrors() throws Exception {
        assertEquals(404, get("/nope").statusCode());
        assertEquals(400, get("/v1/models/cnn/versions/1/update?from=xyz").statusCode());
        assertEquals(400, get("/v1/models/cnn/versions/1?format=zip").statusCode());
        assertThrows(HttpError.class, () -> new RepoClient().full(RepoClient.Ref.parse(url + "/cnn@77"), "nnz"));
    }
}
