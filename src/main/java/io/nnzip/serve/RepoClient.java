package io.nnzip.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.ir.NnzipException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client side of the repository API on {@link HttpClient}: downloads are checked against their ETag (the
 * SHA-256 of the body), and a refusal becomes an {@link HttpError} carrying the server's status and message.
 */
public final class RepoClient {
    /** A model reference {@code URL/MODEL[@VERSION]} split into server, model and version ("latest" if absent). */
    public record Ref(String server, String model, String version) {
        public static Ref parse(String s) {
            int slash = s.replaceAll("/+$", "").lastIndexOf('/');
            if (!s.startsWith("http://") && !s.startsWith("https://") || slash < "https://".length())
                throw new NnzipException("'" + s + "' is not URL/MODEL[@VERSION] (e.g. http://127.0.0.1:8080/cnn@2)");
            String tail = s.replaceAll("/+$", "").substring(slash + 1);
            int at = tail.indexOf('@');
            String model = at < 0 ? tail : tail.substring(0, at), version = at < 0 ? "latest" : tail.substring(at + 1);
            ModelRepository.checkName("model", model);
            return new Ref(s.substring(0, slash), model, version);
        }

        String versionUrl() { return server + "/v1/models/" + model + "/versions/" + enc(version); }
    }

    /** A verified download: body, the server's headers of interest. */
    public record Download(byte[] body, String modelHash, long fullBytes, String version) {}

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public Download get(String url) {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(url)).GET().build());
        String etag = r.headers().firstValue("ETag").orElse("").replace("\"", "");
        if (!etag.isEmpty() && !etag.equals(BlobStore.sha256(r.body())))
            throw new NnzipException(url + ": the body does not hash to its ETag " + etag.substring(0, Math.min(16, etag.length())) + "… (damaged in transit?)");
        return new Download(r.body(), r.headers().firstValue("X-Nnzip-Model-Hash").orElse(null),
                r.headers().firstValue("X-Nnzip-Full-Bytes").map(Long::parseLong).orElse(-1L), r.headers().firstValue("X-Nnzip-Version").orElse(null));
    }

    public Download update(Ref ref, String fromHash) { return get(ref.versionUrl() + "/update?from=" + fromHash); }

    public Download full(Ref ref, String format) { return get(ref.versionUrl() + "?format=" + format); }

    /** POSTs {@code body} as a new version (or a round's contribution when {@code round} is set); returns the reply. */
    public JsonNode publish(Ref ref, byte[] body, String token, String round, long samples) {
        String url = ref.server() + "/v1/models/" + ref.model() + "/versions" + (round == null ? "" : "?round=" + enc(round) + "&samples=" + samples);
        return json(send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", RepoHandler.NNZ).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build()));
    }

    public JsonNode aggregate(Ref ref, String round, String token) {
        String url = ref.server() + "/v1/models/" + ref.model() + "/rounds/" + enc(round) + "/aggregate";
        return json(send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build()));
    }

    private HttpResponse<byte[]> send(HttpRequest req) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new NnzipException(req.method() + " " + req.uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NnzipException("interrupted", e);
        }
        if (r.statusCode() / 100 != 2) {
            String msg = new String(r.body(), StandardCharsets.UTF_8);
            try {
                msg = ModelRepository.JSON.readTree(r.body()).path("error").asText(msg);
            } catch (IOException ignored) {
                // not JSON: keep the raw text
            }
            throw new HttpError(r.statusCode(), req.method() + " " + req.uri() + " refused: HTTP " + r.statusCode() + ": " + msg);
        }
        return r;
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return ModelRepository.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new NnzipException("the server's reply is not JSON: " + e.getMessage(), e);
        }
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    public static String token(java.nio.file.Path file) {
        try {
            String t = java.nio.file.Files.readString(file).trim();
            if (t.isEmpty()) throw new NnzipException("token file " + file + " is empty");
            return t;
        } catch (IOException e) {
            throw new NnzipException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
    }
}
