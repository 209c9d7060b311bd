package io.nnzip.pipeline.report;

import io.nnzip.pipeline.Measurement;
import io.nnzip.pipeline.Pipeline;
import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.StepRecord;
import io.nnzip.util.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A self-contained HTML page (charts embedded as data: PNGs) describing one recipe run, step by step. */
public final class HtmlReport {
    private HtmlReport() {}

    /** One recipe run to report. */
    public record Run(Recipe recipe, Pipeline.Result result) {}

    public static void write(Path file, String modelName, Recipe recipe, Pipeline.Result r) {
        write(file, modelName, List.of(new Run(recipe, r)));
    }

    public static void write(Path file, String modelName, List<Run> runs) {
        AtomicFiles.write(file, render(modelName, runs).getBytes(StandardCharsets.UTF_8));
    }

    public static String render(String modelName, List<Run> runs) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nnzip report: ").append(esc(modelName)).append("</title>");
        h.append("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}"
                + ".bad{color:#a00}.ok{color:#070}img{display:block;margin:1em 0;max-width:100%}</style></head><body>");
        h.append("<h1>nnzip report: ").append(esc(modelName)).append("</h1>");
        for (int i = 0; i < runs.size(); i++) section(h, runs.get(i), "r" + i);
        h.append("<p>Latency: ONNX Runtime, all graph optimizations, median of timed runs. Sizes: file bytes of the ONNX model;"
                + " coded: the .nnz bitstream at nnzip's default step.</p></body></html>");
        return h.toString();
    }

    static void section(StringBuilder h, Run run, String id) {
        Pipeline.Result r = run.result();
        h.append("<section id=\"").append(id).append("\"><h2>Recipe <code>").append(esc(run.recipe().name())).append("</code></h2>");
        h.append("<p>").append(esc(run.recipe().description())).append("</p>");
        h.append("<h3>Steps</h3>").append(table(r.steps()));
        h.append("<h3>Charts</h3><div class=\"charts\">");
        img(h, id + "-tradeoff", Charts.png(Charts.tradeoff(r.steps())));
        img(h, id + "-latency", Charts.png(Charts.latency(r.steps())));
        img(h, id + "-sparsity", Charts.png(Charts.perLayerSteps("Weight sparsity per layer after each step (zeros of the dequantized weights)", "zeros (%)", sparsityByStep(r.steps()))));
        img(h, id + "-bits", Charts.png(Charts.perLayer("Bit width per layer (final model)", "bits", r.last().layerBits())));
        h.append("</div><h3>Attempts</h3><ul>");
        for (StepRecord s : r.steps())
            for (StepRecord.Attempt a : s.attempts())
                h.append("<li><code>").append(esc(s.step() + " " + a.args())).append("</code>: ")
                        .append(a.outcome().isEmpty() ? "<span class=ok>accepted</span>" : "<span class=bad>" + esc(a.outcome()) + "</span>").append("</li>");
        h.append("</ul></section>");
    }

    /** Per-layer sparsity of every step that produced a model (the input has none to show unless it came pruned). */
    static Map<String, Map<String, Double>> sparsityByStep(List<StepRecord> steps) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            StepRecord s = steps.get(i);
            if (s.status().equals("rolled back") || s.measurement() == null) continue;
            if (i == 0 && s.measurement().sparsity() == 0) continue;
            out.put(Charts.label(i, s), percent(s.measurement().layerSparsity()));
        }
        return out;
    }

    static Map<String, Double> percent(Map<String, Double> m) {
        Map<String, Double> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, Math.round(v * 1000) / 10.0));
        return out;
    }

    static String table(List<StepRecord> steps) {
        StringBuilder t = new StringBuilder("<table class=\"steps\"><tr><th class=l>#</th><th class=l>step</th><th class=l>status</th><th>params</th>"
                + "<th>MACs</th><th>file KiB</th><th>coded KiB</th><th>accuracy %</th><th>agreement %</th><th>ORT ms</th><th>sparsity %</th></tr>");
        for (int i = 0; i < steps.size(); i++) {
            StepRecord s = steps.get(i);
            Measurement m = s.measurement();
            t.append("<tr><td class=l>").append(i).append("</td><td class=l>").append(esc(s.step() + (s.args().isEmpty() ? "" : " " + s.args())))
                    .append("</td><td class=l>").append(esc(s.status())).append("</td><td>").append(String.format("%,d", m.params()))
                    .append("</td><td>").append(String.format("%,d", m.macs())).append("</td><td>").append(String.format("%.1f", m.fileBytes() / 1024.0))
                    .append("</td><td>").append(m.codedBytes() == null ? "–" : String.format("%.1f", m.codedBytes() / 1024.0))
                    .append("</td><td>").append(m.accuracy() == null ? "–" : String.format("%.2f", m.accuracy()))
                    .append("</td><td>").append(m.agreement() == null ? "–" : String.format("%.1f", 100 * m.agreement()))
                    .append("</td><td>").append(String.format("%.2f", m.ortMs())).append("</td><td>").append(String.format("%.1f", 100 * m.sparsity()))
                    .append("</td></tr>");
        }
        return t.append("</table>").toString();
    }

    static void img(StringBuilder h, String id, byte[] png) {
        h.append("<img id=\"chart-").append(id).append("\" alt=\"").append(id).append(" chart\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\">");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
