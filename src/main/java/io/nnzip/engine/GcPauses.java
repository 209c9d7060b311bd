package io.nnzip.engine;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The JVM's cumulative stop-the-world GC time (ns), from the collectors' MX beans. Beans of concurrent cycles
 * (name holding "Concurrent", e.g. G1's) are left out: their time runs beside the application, not in its place.
 * Millisecond resolution, as the beans report it.
 */
final class GcPauses {
    private static final List<GarbageCollectorMXBean> PAUSING = ManagementFactory.getGarbageCollectorMXBeans().stream()
            .filter(b -> !b.getName().contains("Concurrent")).toList();

    private GcPauses() {}

    static long nanos() {
        long ms = 0;
        for (GarbageCollectorMXBean b : PAUSING) ms += Math.max(0, b.getCollectionTime());
        return ms * 1_000_000;
    }
}
