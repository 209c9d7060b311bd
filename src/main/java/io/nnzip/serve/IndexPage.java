package io.nnzip.serve;

import java.util.List;
import java.util.Map;

/**
 * The page at the server's root: per model its versions with sizes (float32, full .nnz, and the cached updates that
 * reach it) and hashes, and an inline SVG bar chart of bytes per version (full stream vs smallest cached update).
 */
final class IndexPage {
    private IndexPage() {}

    static String html(RepoIndex ix) {
        StringBuilder s = new StringBuilder();
        s.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nnzip model repository</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
                .append("td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}")
                .append("code{font-size:12px}.full{fill:#4c78a8}.upd{fill:#f58518}</style></head><body>")
                .append("<h1>nnzip model repository</h1>");
        if (ix.models.isEmpty()) s.append("<p id=\"empty\">No models yet. Publish one with <code>nnzip push URL/MODEL model.onnx --token-file F</code>.</p>");
        s.append("<p>").append(ix.models.size()).append(" model(s). API: <code>/v1/models</code> (docs/openapi.yaml).</p>");
        for (Map.Entry<String, RepoIndex.ModelEntry> e : ix.models.entrySet()) {
            String name = esc(e.getKey());
            List<RepoIndex.Version> vs = e.getValue().versions;
            s.append("<section class=\"model\" id=\"model-").append(name).append("\"><h2>").append(name).append("</h2>");
            s.append("<table><tr><th>version</th><th class=\"l\">source</th><th>float32 B</th><th>full .nnz B</th><th>smallest update B</th>")
                    .append("<th>updates cached</th><th class=\"l\">model hash</th><th class=\"l\">published</th></tr>");
            long max = 1;
            long[] upd = new long[vs.size()];
            for (int i = 0; i < vs.size(); i++) {
                RepoIndex.Version v = vs.get(i);
                long best = -1;
                int n = 0;
                for (RepoIndex.Update u : ix.updates.values())
                    if (u.model().equals(e.getKey()) && u.version().equals(v.version())) {
                        n++;
                        if (best < 0 || u.bytes() < best) best = u.bytes();
                    }
                upd[i] = best;
                max = Math.max(max, v.nnzBytes());
                s.append("<tr class=\"version\"><td>").append(esc(v.version())).append("</td><td class=\"l\">").append(esc(v.source()))
                        .append(v.base() == null ? "" : " (base " + esc(v.base()) + ")").append("</td><td>").append(v.floatBytes())
                        .append("</td><td class=\"full-bytes\">").append(v.nnzBytes()).append("</td><td class=\"update-bytes\">")
                        .append(best < 0 ? "–" : Long.toString(best)).append("</td><td>").append(n).append("</td><td class=\"l\"><code title=\"")
                        .append(v.modelHash()).append("\">").append(v.modelHash(), 0, 16).append("…</code></td><td class=\"l\">")
                        .append(esc(v.published())).append("</td></tr>");
            }
            s.append("</table>");
            s.append(chart(vs, upd, max));
            s.append("</section>");
        }
        return s.append("</body></html>").toString();
    }

    // Two bars per version: full stream, and the smallest cached update that reaches it (if any).
    private static String chart(List<RepoIndex.Version> vs, long[] upd, long max) {
        int bar = 14, gap = 10, h = 160, left = 60, w = left + vs.size() * (2 * bar + gap) + 20;
        StringBuilder s = new StringBuilder();
        s.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h + 40)
                .append("\" role=\"img\" aria-label=\"bytes per version\">");
        s.append("<text x=\"0\" y=\"12\" font-size=\"11\">").append(max).append(" B</text>");
        s.append("<line x1=\"").append(left - 4).append("\" y1=\"").append(h).append("\" x2=\"").append(w).append("\" y2=\"").append(h).append("\" stroke=\"#888\"/>");
        for (int i = 0; i < vs.size(); i++) {
            int x = left + i * (2 * bar + gap);
            s.append(rect("full", x, vs.get(i).nnzBytes(), max, bar, h, "v" + vs.get(i).version() + " full: " + vs.get(i).nnzBytes() + " B"));
            if (upd[i] >= 0) s.append(rect("upd", x + bar, upd[i], max, bar, h, "v" + vs.get(i).version() + " update: " + upd[i] + " B"));
            s.append("<text x=\"").append(x).append("\" y=\"").append(h + 14).append("\" font-size=\"11\">v").append(esc(vs.get(i).version())).append("</text>");
        }
        s.append("<rect class=\"full\" x=\"").append(left).append("\" y=\"").append(h + 24).append("\" width=\"10\" height=\"10\"/><text x=\"")
                .append(left + 14).append("\" y=\"").append(h + 33).append("\" font-size=\"11\">full .nnz</text>");
        s.append("<rect class=\"upd\" x=\"").append(left + 80).append("\" y=\"").append(h + 24).append("\" width=\"10\" height=\"10\"/><text x=\"")
                .append(left + 94).append("\" y=\"").append(h + 33).append("\" font-size=\"11\">smallest update</text>");
        return s.append("</svg>").toString();
    }

    private static String rect(String cls, int x, long bytes, long max, int bar, int h, String title) {
        int bh = (int) Math.max(1, Math.round((double) bytes / max * (h - 20)));
        return "<rect class=\"" + cls + "\" x=\"" + x + "\" y=\"" + (h - bh) + "\" width=\"" + bar + "\" height=\"" + bh + "\"><title>" + esc(title) + "</title></rect>";
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
