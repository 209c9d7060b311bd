package io.nnzip.lowrank;

/**
 * One layer's chosen factorization size: the rank(s), the MACs and parameters it costs per image, and the
 * relative kernel error (‖W − Ŵ‖/‖W‖) the rank implies before any data is seen.
 */
public record Choice(int[] ranks, long macs, long params, double predictedError) {
    public String rankString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ranks.length; i++) sb.append(i == 0 ? "" : "x").append(ranks[i]);
        return sb.toString();
    }
}
