package io.nnzip.pipeline;

import io.nnzip.codec.rd.RatePenalty;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A recipe step's {@code rate_penalty}: every fine-tuning the step's pass runs through the context's fine-tuning
 * service trains with a fresh {@link RatePenalty}; afterwards the step's report and the model's provenance
 * ({@code nnzip.<step>.rate_penalty}) say so, with how many training runs carried it (0: the pass trained
 * nothing through the service, e.g. k-means QAT, so the option had no effect).
 */
final class RateRuns {
    private final double lambda;
    private final List<RatePenalty> made = new ArrayList<>();

    RateRuns(double lambda) { this.lambda = lambda; }

    PassContext context(PassContext ctx) {
        return ctx.toBuilder().trainingHook(() -> {
            RatePenalty p = new RatePenalty(lambda);
            made.add(p);
            return p;
        }).build();
    }

    PassResult record(String step, PassResult r) {
        Map<String, Object> m = new LinkedHashMap<>(new RatePenalty(lambda).describe());
        m.put("training_runs", made.size());
        if (!made.isEmpty()) m.put("estimated_weight_bytes_last_step", Math.round(made.getLast().lastBits() / 8));
        Map<String, String> desc = new LinkedHashMap<>();
        desc.put("lambda", "loss units per estimated bit of the coded weights");
        desc.put("qp", "QP at which the weights are priced (as encode codes them: one absolute step σ_all·2^(qp/4))");
        desc.put("equal_steps", "each tensor priced at the per-tensor QP equal steps give it");
        desc.put("refresh_steps", "steps between refits of each tensor's code-length curve to the coder's statistics");
        desc.put("training_runs", "fine-tuning runs of the step that trained with the penalty");
        Provenance.record(r.model(), step + ".rate_penalty", m, desc, null);
        Map<String, Object> report = new LinkedHashMap<>(r.report());
        report.put("rate_penalty", m);
        return new PassResult(r.model(), report, r.provenance());
    }
}
