package io.nnzip.prune.dep;

import io.nnzip.prune.dep.ChannelGraph.Entity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coupled structure of a {@link ChannelGraph}: components (elements that must go together) and layer groups
 * (entities tied by any component, e.g. every conv feeding one residual stream). Components touching a blocked
 * entity are pinned, with the reason.
 */
public final class CoupledGroups {
    /** Elements removable only together; {@code members} are (entity id, index) pairs. */
    public record Component(int id, int group, List<int[]> members, String blockedBy) {
        public boolean prunable() { return blockedBy == null; }
    }

    public record Group(int id, List<Entity> entities, List<Component> components, Set<String> blockReasons) {
        public List<Component> prunable() { return components.stream().filter(Component::prunable).toList(); }

        /** A readable name: the weights whose output rows the group removes, else its first entity. */
        public String label() {
            List<String> ws = entities.stream().filter(e -> e.kind() == ChannelGraph.Kind.TENSOR && e.axis() == 0).map(Entity::name).toList();
            if (ws.isEmpty()) return entities.get(0).key();
            return ws.size() <= 2 ? String.join(", ", ws) : ws.get(0) + ", " + ws.get(1) + " +" + (ws.size() - 2);
        }
    }

    public final ChannelGraph graph;
    public final List<Component> components = new ArrayList<>();
    public final List<Group> groups = new ArrayList<>();

    public CoupledGroups(ChannelGraph cg) {
        this.graph = cg;
        int n = cg.elementCount();
        Map<Integer, String> rootBlocked = new HashMap<>();
        for (Map.Entry<Integer, String> b : cg.blockedEntities().entrySet()) {
            Entity e = cg.entities().get(b.getKey());
            for (int i = 0; i < e.size(); i++) rootBlocked.putIfAbsent(cg.root(e.offset() + i), e.key() + ": " + b.getValue());
        }
        // entities sharing a root form one layer group
        int[] entParent = new int[cg.entities().size()];
        for (int i = 0; i < entParent.length; i++) entParent[i] = i;
        Map<Integer, Integer> rootEntity = new HashMap<>();
        for (Entity e : cg.entities())
            for (int i = 0; i < e.size(); i++) {
                Integer other = rootEntity.putIfAbsent(cg.root(e.offset() + i), e.id());
                if (other != null) unite(entParent, other, e.id());
            }
        Map<Integer, List<int[]>> members = new LinkedHashMap<>();
        for (Entity e : cg.entities())
            for (int i = 0; i < e.size(); i++) members.computeIfAbsent(cg.root(e.offset() + i), k -> new ArrayList<>()).add(new int[] {e.id(), i});
        Map<Integer, Integer> groupOf = new LinkedHashMap<>();
        for (Entity e : cg.entities()) {
            int r = find(entParent, e.id());
            Integer gid = groupOf.get(r);
            if (gid == null) {
                gid = groups.size();
                groupOf.put(r, gid);
                groups.add(new Group(gid, new ArrayList<>(), new ArrayList<>(), new LinkedHashSet<>()));
            }
            groups.get(gid).entities().add(e);
        }
        for (Map.Entry<Integer, List<int[]>> m : members.entrySet()) {
            int gid = groupOf.get(find(entParent, m.getValue().get(0)[0]));
            Component c = new Component(components.size(), gid, m.getValue(), rootBlocked.get(m.getKey()));
            components.add(c);
            groups.get(gid).components().add(c);
            if (c.blockedBy() != null) groups.get(gid).blockReasons().add(c.blockedBy());
        }
        assert members.size() <= n;
    }

    private static int find(int[] p, int i) {
        while (p[i] != i) i = p[i] = p[p[i]];
        return i;
    }

    private static void unite(int[] p, int a, int b) {
        int ra = find(p, a), rb = find(p, b);
        if (ra != rb) p[ra] = rb;
    }

    public Entity entity(int id) { return graph.entities().get(id); }
}
