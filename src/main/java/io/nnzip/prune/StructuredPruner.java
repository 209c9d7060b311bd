package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.canon.Rewrite;
import io.nnzip.prune.criteria.ChannelCriterion;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;
import io.nnzip.prune.dep.PlanApplier;
import io.nnzip.prune.dep.PlanBuilder;
import io.nnzip.prune.dep.PruneForm;
import io.nnzip.prune.dep.PrunePlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Removes whole channels: analyse the couplings ({@link Dependencies}), score components with a criterion,
 * choose the lowest-scoring share of each layer group ({@code layer} scope) or of the whole network ({@code global}
 * scope, scores normalized by their group's mean), then build and replay a {@link PrunePlan}. Every entity keeps
 * at least one element, so no layer disappears.
 */
public final class StructuredPruner {
    /** One layer group's outcome, for the report. */
    public record GroupOutcome(int group, String label, int channels, int removed, int pinned, String why) {}

    public record Result(Model model, PrunePlan plan, List<GroupOutcome> groups) {}

    private StructuredPruner() {}

    /** A model with its couplings analysed once, to prune it several ways (sensitivity scans). */
    public record Analysis(Model model, Dependencies deps, CoupledGroups groups, List<Rewrite> rewrites) {
        public static Analysis of(Model m) {
            Model work = m.copy();
            List<Rewrite> rw = PruneForm.apply(work);
            Dependencies d = Dependencies.of(work);
            return new Analysis(work, d, new CoupledGroups(d.channels), rw);
        }

        /** Groups worth pruning: they own weights and have channels that may go. */
        public List<CoupledGroups.Group> prunableGroups() {
            return groups.groups.stream().filter(g -> hasFilters(g, deps.filterAxes) && hasValues(g) && !g.prunable().isEmpty()).toList();
        }
    }

    /**
     * @param amounts per layer-group amount overrides (by group id); others use {@code amount}
     */
    public static Result prune(Model m, ChannelCriterion criterion, double amount, String scope, Map<Integer, Double> amounts) {
        return prune(m, criterion, amount, scope, amounts, 1);
    }

    /** @param roundTo keep a multiple of this many components per group (layer scope; 1 = no rounding) */
    public static Result prune(Model m, ChannelCriterion criterion, double amount, String scope, Map<Integer, Double> amounts, int roundTo) {
        Analysis a = Analysis.of(m);
        return prune(a, criterion.score(a.deps(), a.groups()), amount, scope, amounts, roundTo);
    }

    public static Result prune(Analysis a, double[] score, double amount, String scope, Map<Integer, Double> amounts, int roundTo) {
        Set<Integer> chosen = switch (scope) {
            case "layer" -> chooseLocal(a.groups(), score, amount, amounts, roundTo);
            case "global" -> chooseGlobal(a.groups(), score, amount);
            default -> throw new IllegalArgumentException("scope must be layer or global");
        };
        PrunePlan plan = PlanBuilder.build(a.deps(), a.groups(), chosen);
        List<GroupOutcome> outcomes = outcomes(a.groups(), chosen, a.deps().filterAxes);
        for (GroupOutcome o : outcomes)
            if (o.pinned() > 0) plan.notes.add(o.label() + ": " + o.pinned() + " of " + o.channels() + " channels left in place (" + o.why() + ")");
        for (Rewrite r : a.rewrites()) plan.notes.add("canonicalized: " + r);
        return new Result(PlanApplier.apply(a.model(), plan), plan, outcomes);
    }

    /**
     * Removes the components {@code wanted}, in that order (most certainly unneeded first), each only while it is
     * prunable and every entity it touches keeps an element: for a method that decides per component itself (a
     * posterior's group dropout rates) rather than by an amount.
     */
    public static Result remove(Analysis a, List<Integer> wanted) {
        Caps caps = new Caps(a.groups());
        Set<Integer> chosen = new TreeSet<>();
        for (int id : wanted) {
            CoupledGroups.Component c = a.groups().components.get(id);
            if (c.prunable() && !chosen.contains(id) && caps.take(c)) chosen.add(id);
        }
        PrunePlan plan = PlanBuilder.build(a.deps(), a.groups(), chosen);
        for (Rewrite r : a.rewrites()) plan.notes.add("canonicalized: " + r);
        return new Result(PlanApplier.apply(a.model(), plan), plan, outcomes(a.groups(), chosen, a.deps().filterAxes));
    }

    static Set<Integer> chooseLocal(CoupledGroups groups, double[] score, double amount, Map<Integer, Double> amounts, int roundTo) {
        Set<Integer> chosen = new TreeSet<>();
        Caps caps = new Caps(groups);
        for (CoupledGroups.Group g : groups.groups) {
            List<CoupledGroups.Component> cs = new ArrayList<>(g.prunable());
            double a = amounts == null ? amount : amounts.getOrDefault(g.id(), amount);
            // every tensor of the group loses at most its own share (rounded), so the inputs of a Concat shrink
            // alike instead of one of them being emptied, and kept widths stay multiples of roundTo
            for (Entity e : g.entities()) caps.limit(e, e.size() - kept(e.size(), a, roundTo));
            int target = (int) Math.floor(a * cs.size() + 1e-9);
            if (roundTo > 1 && target > 0 && cs.size() > roundTo) {
                int kept = Math.min(cs.size(), (cs.size() - target + roundTo - 1) / roundTo * roundTo);
                target = cs.size() - kept;
            }
            cs.sort(Comparator.comparingDouble(c -> score[c.id()]));
            int taken = 0;
            for (CoupledGroups.Component c : cs) {
                if (taken >= target) break;
                if (caps.take(c)) {
                    chosen.add(c.id());
                    taken++;
                }
            }
        }
        return chosen;
    }

    static Set<Integer> chooseGlobal(CoupledGroups groups, double[] score, double amount) {
        double[] norm = new double[score.length];
        List<CoupledGroups.Component> all = new ArrayList<>();
        for (CoupledGroups.Group g : groups.groups) {
            List<CoupledGroups.Component> cs = g.prunable();
            double mean = cs.stream().mapToDouble(c -> score[c.id()]).average().orElse(1);
            for (CoupledGroups.Component c : cs) norm[c.id()] = mean > 0 ? score[c.id()] / mean : 0;
            all.addAll(cs);
        }
        all.sort(Comparator.comparingDouble(c -> norm[c.id()]));
        int target = (int) Math.floor(amount * all.size() + 1e-9);
        Caps caps = new Caps(groups);
        Set<Integer> chosen = new TreeSet<>();
        for (CoupledGroups.Component c : all) {
            if (chosen.size() >= target) break;
            if (caps.take(c)) chosen.add(c.id());
        }
        return chosen;
    }

    /** Elements of an n-element tensor that stay when {@code a} of them go, rounded up to a multiple of roundTo. */
    static int kept(int n, double a, int roundTo) {
        int k = n - (int) Math.floor(a * n + 1e-9);
        if (roundTo > 1 && n > roundTo) k = Math.min(n, (k + roundTo - 1) / roundTo * roundTo);
        return Math.max(1, k);
    }

    /** Tracks how many elements each entity has lost, refusing a removal past its limit (never all of them). */
    static final class Caps {
        final int[] removed, limit;
        final CoupledGroups groups;

        Caps(CoupledGroups groups) {
            this.groups = groups;
            removed = new int[groups.graph.entities().size()];
            limit = new int[removed.length];
            for (int i = 0; i < limit.length; i++) limit[i] = groups.entity(i).size() - 1;
        }

        void limit(Entity e, int max) { limit[e.id()] = Math.min(limit[e.id()], max); }

        boolean take(CoupledGroups.Component c) {
            Map<Integer, Integer> per = new HashMap<>();
            for (int[] m : c.members()) per.merge(m[0], 1, Integer::sum);
            for (Map.Entry<Integer, Integer> e : per.entrySet())
                if (removed[e.getKey()] + e.getValue() > limit[e.getKey()]) return false;
            per.forEach((k, v) -> removed[k] += v);
            return true;
        }
    }

    static List<GroupOutcome> outcomes(CoupledGroups groups, Set<Integer> chosen, Set<String> filterAxes) {
        List<GroupOutcome> out = new ArrayList<>();
        for (CoupledGroups.Group g : groups.groups) {
            if (!hasFilters(g, filterAxes) || !hasValues(g)) continue;
            int removed = (int) g.components().stream().filter(c -> chosen.contains(c.id())).count();
            int pinned = g.components().size() - g.prunable().size();
            String why = g.blockReasons().isEmpty() ? "" : g.blockReasons().iterator().next() + (g.blockReasons().size() > 1 ? " (+" + (g.blockReasons().size() - 1) + " more)" : "");
            out.add(new GroupOutcome(g.id(), g.label(), g.components().size(), removed, pinned, why));
        }
        return out;
    }

    /** Groups holding some layer's output channels (others are input channels or weight axes no rule ties to anything). */
    static boolean hasFilters(CoupledGroups.Group g, Set<String> filterAxes) {
        for (Entity e : g.entities()) if (filterAxes.contains(e.key())) return true;
        return false;
    }

    /** Groups that hold activation channels (not just a weight axis no rule ties to anything). */
    static boolean hasValues(CoupledGroups.Group g) {
        for (Entity e : g.entities()) if (e.kind() == io.nnzip.prune.dep.ChannelGraph.Kind.VALUE) return true;
        return false;
    }

    public static Map<String, Object> toJson(GroupOutcome o) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("group", o.label());
        r.put("channels", o.channels());
        r.put("removed", o.removed());
        if (o.pinned() > 0) {
            r.put("pinned", o.pinned());
            r.put("why", o.why());
        }
        return r;
    }
}
