package io.nnzip.serve;

import io.nnzip.ir.NnzipException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.http.content.HttpContent;
import org.eclipse.jetty.http.content.ResourceHttpContent;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ResourceService;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.resource.ResourceFactory;

/**
 * The HTTP API of {@code nnzip serve} (docs/openapi.yaml) on Jetty's core handler API. Blobs are sent through
 * Jetty's {@link ResourceService}, which answers If-None-Match with 304 and Range with 206 from the ETag and length
 * we give it; the ETag is the blob's SHA-256, so it never changes for the same bytes.
 */
public final class RepoHandler extends Handler.Abstract {
    public static final String NNZ = "application/x-nnz", ONNX = "application/onnx";
    private final ModelRepository repo;
    private final byte[] token;
    private final long maxUpload;
    private final ResourceService files = new ResourceService();
    private final ResourceFactory resources = ResourceFactory.root();

    /** {@code token} null = read-only server (every publish is refused with 403). */
    public RepoHandler(ModelRepository repo, String token, long maxUpload) {
        this.repo = repo;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.maxUpload = maxUpload;
        files.setEtags(true);
        files.setAcceptRanges(true);
        files.setDirAllowed(false);
        addBean(files);
    }

    @Override
    public boolean handle(Request req, Response resp, Callback cb) {
        String path = Request.getPathInContext(req);
        List<String> p = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
        String method = req.getMethod();
        boolean get = method.equals("GET") || method.equals("HEAD");
        try {
            if (p.isEmpty() && get) return text(resp, cb, 200, "text/html; charset=utf-8", IndexPage.html(repo.snapshot()));
            if (p.size() < 2 || !p.get(0).equals("v1")) throw new HttpError(404, "no such endpoint: " + path + " (the API is under /v1, see docs/openapi.yaml)");
            Fields q = Request.extractQueryParameters(req);
            if (p.get(1).equals("pack") && p.size() == 2 && get) {
                String ms = q.getValue("models");
                if (ms == null || ms.isBlank()) throw new HttpError(400, "give the models to pack: ?models=a,b@2,c");
                RepoIndex.Pack pk = repo.pack(Arrays.stream(ms.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
                resp.getHeaders().put("X-Nnzip-Root", pk.root());
                return blob(req, resp, cb, pk.blob(), NNZ);
            }
            if (!p.get(1).equals("models")) throw new HttpError(404, "no such endpoint: " + path);
            if (p.size() == 2 && get) return json(resp, cb, 200, models());
            if (p.size() == 2) throw noEndpoint(method, path);
            String model = p.get(2);
            if (p.size() == 3 && get) return json(resp, cb, 200, model(model));
            if (p.size() == 4 && p.get(3).equals("versions") && method.equals("POST")) return publish(req, resp, cb, model, q);
            if (p.size() == 6 && p.get(3).equals("rounds") && p.get(5).equals("aggregate") && method.equals("POST")) {
                authorize(req);
                ModelRepository.Published pub = repo.aggregate(model, p.get(4));
                return json(resp, cb, 201, pub);
            }
            if (p.size() >= 5 && p.get(3).equals("versions") && get) {
                RepoIndex.Version v = repo.version(model, p.get(4));
                resp.getHeaders().put("X-Nnzip-Version", v.version());
                if (p.size() == 5) {
                    String fmt = q.getValue("format") == null ? "nnz" : q.getValue("format");
                    if (!fmt.equals("nnz") && !fmt.equals("onnx")) throw new HttpError(400, "format must be nnz or onnx, not '" + fmt + "'");
                    resp.getHeaders().put("X-Nnzip-Model-Hash", v.modelHash());
                    return blob(req, resp, cb, fmt.equals("nnz") ? v.nnz() : v.onnx(), fmt.equals("nnz") ? NNZ : ONNX);
                }
                if (p.size() == 6 && p.get(5).equals("update")) {
                    RepoIndex.Update u = repo.update(model, v.version(), q.getValue("from"));
                    resp.getHeaders().put("X-Nnzip-Model-Hash", u.result());
                    resp.getHeaders().put("X-Nnzip-Full-Bytes", Long.toString(v.nnzBytes()));
                    return blob(req, resp, cb, u.blob(), NNZ);
                }
            }
            throw noEndpoint(method, path);
        } catch (HttpError e) {
            if (e.status() == 401) resp.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"nnzip\"");
            if (e.status() != 413) discardUnread(req);
            return json(resp, cb, e.status(), Map.of("status", e.status(), "error", e.getMessage()));
        } catch (NnzipException e) {
            return json(resp, cb, 500, Map.of("status", 500, "error", e.getMessage()));
        }
    }

    private static HttpError noEndpoint(String method, String path) {
        return new HttpError(method.equals("GET") || method.equals("POST") || method.equals("HEAD") ? 404 : 405, "no such endpoint: " + method + " " + path);
    }

    private boolean publish(Request req, Response resp, Callback cb, String model, Fields q) throws HttpError {
        authorize(req);
        long declared = req.getLength();
        if (declared > maxUpload) throw new HttpError(413, "the upload declares " + declared + " bytes; this server accepts at most " + maxUpload);
        byte[] body = readLimited(req);
        if (body.length == 0) throw new HttpError(400, "empty upload: send an ONNX model or a .nnz stream");
        String round = q.getValue("round");
        long samples = 0;
        if (q.getValue("samples") != null) {
            try {
                samples = Long.parseLong(q.getValue("samples"));
            } catch (NumberFormatException e) {
                throw new HttpError(400, "samples must be a whole number, not '" + q.getValue("samples") + "'");
            }
        }
        ModelRepository.Published pub = repo.publish(model, body, round, samples);
        return json(resp, cb, 201, pub);
    }

    private byte[] readLimited(Request req) {
        try (InputStream in = Content.Source.asInputStream(req)) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxUpload + 1));
            if (b.length > maxUpload) throw new HttpError(413, "the upload exceeds this server's limit of " + maxUpload + " bytes");
            return b;
        } catch (IOException e) {
            throw new HttpError(400, "the upload was cut off: " + e.getMessage());
        }
    }

    /**
     * Reads and drops what is left of a refused request's body (at most the upload limit). A refusal sent while the
     * client is still writing would otherwise be followed by closing a connection with unread bytes in it: the peer
     * then gets a reset instead of the answer (seen as "header parser received no bytes" on a 401 to a POST).
     */
    private void discardUnread(Request req) {
        long declared = req.getLength();
        if (declared > maxUpload) return;
        try (InputStream in = Content.Source.asInputStream(req)) {
            long left = maxUpload + 1;
            byte[] buf = new byte[8192];
            for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) left -= n;
        } catch (IOException | RuntimeException ignored) {
            // a body that cannot be read any further leaves nothing to drain
        }
    }

    private void authorize(Request req) {
        String h = req.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) throw new HttpError(401, "publishing needs 'Authorization: Bearer <token>'");
        if (token == null) throw new HttpError(403, "this server is read-only (started without --token-file)");
        if (!MessageDigest.isEqual(token, h.substring(7).trim().getBytes(StandardCharsets.UTF_8))) throw new HttpError(403, "wrong token");
    }

    private Map<String, Object> models() {
        RepoIndex ix = repo.snapshot();
        List<Map<String, Object>> list = ix.models.entrySet().stream().map(e -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            m.put("versions", e.getValue().versions.size());
            m.put("latest", e.getValue().versions.isEmpty() ? null : e.getValue().versions.getLast().version());
            return m;
        }).toList();
        return Map.of("models", list);
    }

    private Map<String, Object> model(String name) {
        RepoIndex ix = repo.snapshot();
        RepoIndex.ModelEntry e = ix.models.get(name);
        if (e == null) throw new HttpError(404, "unknown model '" + name + "'");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("versions", e.versions);
        m.put("updates", ix.updates.values().stream().filter(u -> u.model().equals(name)).toList());
        m.put("rounds", e.rounds);
        return m;
    }

    private boolean blob(Request req, Response resp, Callback cb, String hash, String type) {
        Path file = repo.blobs().path(hash);
        HttpContent c = new ResourceHttpContent(resources.newResource(file), type);
        HttpField etag = new PreEncodedHttpField(HttpHeader.ETAG, "\"" + hash + "\"");
        checkEntityTags(req, HttpHeader.IF_MATCH);
        checkEntityTags(req, HttpHeader.IF_NONE_MATCH);
        files.doGet(req, resp, cb, new HttpContent.Wrapper(c) {
            @Override
            public HttpField getETag() { return etag; }

            @Override
            public String getETagValue() { return etag.getValue(); }
        });
        return true;
    }

    /** "*" or a comma-separated list of entity tags ({@code "x"} or {@code W/"x"}), RFC 9110 §13.1. */
    private static final java.util.regex.Pattern ENTITY_TAGS =
            java.util.regex.Pattern.compile("[\\s,]*+(\\*|(W/)?\"[^\"]*+\"(\\s*+,[\\s,]*+(W/)?\"[^\"]*+\")*)[\\s,]*");

    /** Jetty 12.1 answers 500 to a malformed tag (If-None-Match: 0"abc"); that is the client's error, so it is refused here. */
    private static void checkEntityTags(Request req, HttpHeader h) {
        for (String v : req.getHeaders().getValuesList(h))
            if (!ENTITY_TAGS.matcher(v).matches()) throw new HttpError(400, "malformed " + h.asString() + " header: " + v + " (expected * or \"tag\", W/\"tag\", ...)");
    }

    private static boolean json(Response resp, Callback cb, int status, Object body) {
        try {
            return text(resp, cb, status, "application/json", ModelRepository.JSON.writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean text(Response resp, Callback cb, int status, String type, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        resp.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        resp.write(true, ByteBuffer.wrap(b), cb);
        return true;
    }
}
