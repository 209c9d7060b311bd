package io.nnzip.pipeline;

import java.util.List;
import java.util.Map;

/**
 * One step of a run as the report tells it.
 *
 * @param status {@code baseline}, {@code kept}, {@code kept after retry}, {@code rolled back} or {@code failed}
 * @param attempts every setting tried, with why it was refused (empty reason when accepted)
 * @param measurement the model that stands after this step (the previous one when rolled back)
 * @param result the step command's own JSON result for the accepted attempt
 */
public record StepRecord(String step, String args, String status, List<Attempt> attempts, Measurement measurement,
                         Map<String, Object> result) {
    public record Attempt(String args, String outcome) {}
}
