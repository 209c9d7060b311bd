package io.nnzip.ir;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class GraphValidatorTest {
    static Graph chain() {
        GraphBuilder b = new GraphBuilder("g");
        String x = b.input("x", DType.FLOAT, -1, 4);
        String y = b.op("Relu", x);
        String z = b.op("Neg", y);
        b.output(z, DType.FLOAT, -1, 4);
        return b.graph();
    }

    static String message(Graph g) {
        return assertThrows(NnzipException.class, () -> GraphValidator.validate(g)).getMessage();
    }

    @Test
    void acceptsAValidGraph() { GraphValidator.validate(chain()); }

    @Test
    void reportsACycleNamingTheNodes() {
        Graph g = chain();
        g.nodes().get(0).inputs().set(0, g.nodes().get(1).output(0));
        String m = message(g);
        assertTrue(m.contains("cycle"), m);
    }

    @Test
    void reportsADanglingInput() {
        Graph g = chain();
        g.nodes().get(1).inputs().add("ghost");
        String m = message(g);
        assertTrue(m.contains("'ghost'") && m.contains("Neg"), m);
    }

    @Test
    void reportsADuplicateDefinition() {
        Graph g = chain();
        g.nodes().get(1).outputs().set(0, g.nodes().get(0).output(0));
        assertTrue(message(g).contains("produced twice"));
    }

    @Test
    void reportsAnUnproducedOutput() {
        Graph g = chain();
        g.outputs().add(ValueInfo.of("nowhere", DType.FLOAT));
        assertTrue(message(g).contains("'nowhere'"));
    }

    @Test
    void topoSortRestoresOrder() {
        Graph g = chain();
        java.util.Collections.reverse(g.nodes());
        TopoSort.sort(g);
        assertEquals(List.of("Relu", "Neg"), g.nodes().stream().map(Node::opType).toList());
    }
}
