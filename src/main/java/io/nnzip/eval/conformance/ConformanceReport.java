package io.nnzip.eval.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Totals over a conformance run: counts, a per-op breakdown, the failures and why cases were unsupported. */
public final class ConformanceReport {
    private final List<CaseResult> results = new ArrayList<>();

    public void add(CaseResult r) { results.add(r); }

    public List<CaseResult> results() { return results; }

    public long count(CaseResult.Status s) { return results.stream().filter(r -> r.status() == s).count(); }

    public long passed() { return count(CaseResult.Status.PASSED); }

    public long failed() { return count(CaseResult.Status.FAILED); }

    public long unsupported() { return count(CaseResult.Status.UNSUPPORTED); }

    /** op → {passed, failed, unsupported}: every case counts once for each op type it contains. */
    public Map<String, Map<String, Long>> perOp() {
        Map<String, Map<String, Long>> m = new TreeMap<>();
        for (CaseResult r : results)
            for (String op : r.ops()) {
                Map<String, Long> c = m.computeIfAbsent(op, k -> {
                    Map<String, Long> z = new LinkedHashMap<>();
                    z.put("passed", 0L);
                    z.put("failed", 0L);
                    z.put("unsupported", 0L);
                    return z;
                });
                c.merge(r.status().name().toLowerCase(), 1L, Long::sum);
            }
        return m;
    }

    /** Reason → number of unsupported cases it applies to, most frequent first. */
    public Map<String, Long> unsupportedReasons() {
        Map<String, Long> counts = new TreeMap<>();
        for (CaseResult r : results) if (r.status() == CaseResult.Status.UNSUPPORTED) for (String why : r.reasons()) counts.merge(why, 1L, Long::sum);
        Map<String, Long> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** Case name → first mismatch. */
    public Map<String, String> failures() {
        Map<String, String> m = new LinkedHashMap<>();
        for (CaseResult r : results) if (r.status() == CaseResult.Status.FAILED) m.put(r.name(), r.detail());
        return m;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("passed", passed());
        m.put("failed", failed());
        m.put("unsupported", unsupported());
        m.put("per_op", perOp());
        m.put("failures", failures());
        m.put("unsupported_reasons", unsupportedReasons());
        return m;
    }
}
