package io.nnzip.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a stream keeps of the pass records: full, compact (no option descriptions) or none; other metadata stays. */
class ProvenanceKeepTest {
    private static Model withRecords() {
        GraphBuilder g = new GraphBuilder("m");
        String x = g.input("x", DType.FLOAT, -1, 2);
        g.output(g.rename(g.op("Relu", x), "y"), DType.FLOAT);
        Model m = g.build(17);
        m.metadata().put("nnzip.input.mean", "0.286");
        m.metadata().put("nnzip.dynamic", "{\"tool\":\"t\",\"options\":{},\"exits\":[1]}");
        m.metadata().put("nnzip.quantize", "{\"tool\":\"t\",\"time\":\"x\",\"options\":{\"scheme\":\"kmeans:4\"},"
                + "\"option_descriptions\":{\"scheme\":\"a long text\"},\"summary\":{\"bits\":4}}");
        m.metadata().put("nnzip.note", "not json");
        m.metadata().put("author", "someone");
        return m;
    }

    @Test
    void compactDropsOnlyTheDescriptions() {
        Model m = Provenance.keep(withRecords(), "compact");
        Map<String, Object> r = Provenance.read(m, "quantize");
        assertFalse(r.containsKey("option_descriptions"));
        assertEquals(Map.of("scheme", "kmeans:4"), r.get("options"));
        assertEquals(Map.of("bits", 4), r.get("summary"));
        assertEquals(5, m.metadata().size());
    }

    @Test
    void noneDropsPassRecordsButKeepsWhatRunsTheModel() {
        Model m = Provenance.keep(withRecords(), "none");
        assertEquals(java.util.Set.of("nnzip.input.mean", "nnzip.dynamic", "nnzip.note", "author"), m.metadata().keySet());
        assertTrue(m.metadata().get("nnzip.dynamic").contains("exits"));
    }

    @Test
    void fullKeepsAllAndUnknownModesAreRefused() {
        assertEquals(withRecords().metadata(), Provenance.keep(withRecords(), "full").metadata());
        NnzipException e = assertThrows(NnzipException.class, () -> Provenance.keep(withRecords(), "some"));
        assertTrue(e.getMessage().contains("provenance"), e.getMessage());
    }
}
