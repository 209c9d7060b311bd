package io.nnzip.prune.dep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Channel-level dependency graph. Every prunable dimension is an {@link Entity}: the channel axis (axis 1) of an
 * activation value, or one axis of an initializer. Each element of an entity (one channel, one row of a weight)
 * is a node of a union-find; an edge "removing channel i of A forces removing channel j of B" is a union. A
 * connected component is therefore the smallest set of elements that can be removed together without breaking
 * any op, and an entity marked blocked (graph input/output, unknown op, unsafe coupling) pins every component
 * that touches it.
 */
public final class ChannelGraph {
    public enum Kind { VALUE, TENSOR }

    /** A prunable dimension; its elements are {@code offset .. offset+size-1} in the union-find. */
    public record Entity(int id, Kind kind, String name, int axis, int size, int offset) {
        public String key() { return key(kind, name, axis); }

        static String key(Kind kind, String name, int axis) {
            if (kind == Kind.TENSOR) return name + "@" + axis;
            return axis == 1 ? name : name + "#" + axis;
        }
    }

    private final List<Entity> entities = new ArrayList<>();
    private final Map<String, Entity> byKey = new HashMap<>();
    private int[] parent = new int[1024];
    private int elements;
    /** Entity id → why it may not change (first reason wins). */
    private final Map<Integer, String> blocked = new LinkedHashMap<>();

    public Entity value(String name, int channels) { return entity(Kind.VALUE, name, 1, channels); }

    public Entity tensor(String name, int axis, int size) { return entity(Kind.TENSOR, name, axis, size); }

    /** Another axis of an activation than the channel axis: the features of a transformer's (B,N,F) values. */
    public Entity value(String name, int axis, int size) { return entity(Kind.VALUE, name, axis, size); }

    private Entity entity(Kind kind, String name, int axis, int size) {
        String key = Entity.key(kind, name, axis);
        Entity e = byKey.get(key);
        if (e != null) {
            if (e.size() != size) throw new IllegalStateException(key + " seen with sizes " + e.size() + " and " + size);
            return e;
        }
        e = new Entity(entities.size(), kind, name, axis, size, elements);
        if (elements + size > parent.length) parent = Arrays.copyOf(parent, Math.max(parent.length * 2, elements + size));
        for (int i = 0; i < size; i++) parent[elements + i] = elements + i;
        elements += size;
        entities.add(e);
        byKey.put(key, e);
        return e;
    }

    public Entity find(String key) { return byKey.get(key); }

    public List<Entity> entities() { return entities; }

    public int elementCount() { return elements; }

    /** Couples element {@code i} of {@code a} with element {@code j} of {@code b}. */
    public void union(Entity a, int i, Entity b, int j) {
        if (i < 0 || i >= a.size() || j < 0 || j >= b.size())
            throw new IllegalStateException("coupling out of range: " + a.key() + "[" + i + "] ~ " + b.key() + "[" + j + "]");
        int ra = root(a.offset() + i), rb = root(b.offset() + j);
        if (ra != rb) parent[ra] = rb;
    }

    /** Couples {@code a[aOff+k]} with {@code b[bOff+k]} for k in [0, n). */
    public void unionRange(Entity a, int aOff, Entity b, int bOff, int n) {
        for (int k = 0; k < n; k++) union(a, aOff + k, b, bOff + k);
    }

    /** Element-by-element coupling of two entities of equal size. */
    public void unionAll(Entity a, Entity b) {
        if (a.size() != b.size()) throw new IllegalStateException("cannot couple " + a.key() + " (" + a.size() + ") with " + b.key() + " (" + b.size() + ")");
        unionRange(a, 0, b, 0, a.size());
    }

    public int root(int element) {
        int r = element;
        while (parent[r] != r) r = parent[r];
        while (parent[element] != r) {
            int next = parent[element];
            parent[element] = r;
            element = next;
        }
        return r;
    }

    public void block(Entity e, String reason) { blocked.putIfAbsent(e.id(), reason); }

    public boolean isBlocked(Entity e) { return blocked.containsKey(e.id()); }

    public Map<Integer, String> blockedEntities() { return blocked; }

    /** The entity owning union-find element {@code element}. */
    public Entity owner(int element) {
        int lo = 0, hi = entities.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (entities.get(mid).offset() <= element) lo = mid;
            else hi = mid - 1;
        }
        return entities.get(lo);
    }
}
