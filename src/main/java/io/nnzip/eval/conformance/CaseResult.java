package io.nnzip.eval.conformance;

import java.util.List;
import java.util.Set;

/**
 * Outcome of one conformance case. {@code detail} is the first mismatch of a failure; {@code reasons} are what
 * made an unsupported case unsupported (each a missing op, attribute value, dtype or input kind).
 */
public record CaseResult(String name, Status status, Set<String> ops, String detail, List<String> reasons) {
    public enum Status { PASSED, FAILED, UNSUPPORTED }

    static CaseResult passed(String name, Set<String> ops) { return new CaseResult(name, Status.PASSED, ops, "", List.of()); }

    static CaseResult failed(String name, Set<String> ops, String detail) { return new CaseResult(name, Status.FAILED, ops, detail, List.of()); }

    static CaseResult unsupported(String name, Set<String> ops, List<String> reasons) {
        return new CaseResult(name, Status.UNSUPPORTED, ops, String.join("; ", reasons), List.copyOf(reasons));
    }
}
