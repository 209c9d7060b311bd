package io.nnzip.prune.dep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a structured prune does, as data: removed indices per entity (value channels by value name, weight
 * slices by {@code tensor@axis}), the shape constants, split sizes and conv groups that follow, and notes on
 * what was left alone and why. {@link PlanApplier} replays it on the model it was made for; {@link #toJson}
 * is how it is printed and stored.
 */
public final class PrunePlan {
    public record ShapeValue(String init, int index, long value) {}

    public final Map<String, int[]> removedValues = new LinkedHashMap<>();
    public final Map<String, int[]> removedTensors = new LinkedHashMap<>();
    public final List<ShapeValue> shapeValues = new ArrayList<>();
    /** First output of a Split → new sizes. */
    public final Map<String, long[]> splitSizes = new LinkedHashMap<>();
    /** Output of a depthwise Conv → new group count. */
    public final Map<String, Long> convGroups = new LinkedHashMap<>();
    /** Groups left alone (or pruned less) and why. */
    public final List<String> notes = new ArrayList<>();

    public boolean isEmpty() { return removedTensors.isEmpty(); }

    public Map<String, Object> toJson() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("removed_channels", counts(removedValues));
        r.put("removed_weight_slices", removedTensors);
        List<Map<String, Object>> sv = new ArrayList<>();
        for (ShapeValue s : shapeValues) sv.add(Map.of("initializer", s.init(), "index", s.index(), "value", s.value()));
        r.put("shape_constants", sv);
        r.put("split_sizes", splitSizes);
        r.put("conv_groups", convGroups);
        r.put("notes", notes);
        return r;
    }

    private static Map<String, Integer> counts(Map<String, int[]> m) {
        Map<String, Integer> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(k, v.length));
        return r;
    }

    /** Reads the form {@link #toJson} writes (removed_channels are counts only and not needed to replay). */
    @SuppressWarnings("unchecked")
    public static PrunePlan fromJson(Map<String, Object> j) {
        PrunePlan p = new PrunePlan();
        ((Map<String, List<Number>>) j.getOrDefault("removed_weight_slices", Map.of()))
                .forEach((k, v) -> p.removedTensors.put(k, v.stream().mapToInt(Number::intValue).toArray()));
        for (Map<String, Object> s : (List<Map<String, Object>>) j.getOrDefault("shape_constants", List.of()))
            p.shapeValues.add(new ShapeValue((String) s.get("initializer"), ((Number) s.get("index")).intValue(), ((Number) s.get("value")).longValue()));
        ((Map<String, List<Number>>) j.getOrDefault("split_sizes", Map.of()))
                .forEach((k, v) -> p.splitSizes.put(k, v.stream().mapToLong(Number::longValue).toArray()));
        ((Map<String, Number>) j.getOrDefault("conv_groups", Map.of())).forEach((k, v) -> p.convGroups.put(k, v.longValue()));
        p.notes.addAll((List<String>) j.getOrDefault("notes", List.of()));
        return p;
    }
}
