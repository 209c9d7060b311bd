package io.nnzip.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.models.zoo.TorchStyle;
import io.nnzip.models.zoo.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Storage, MACs and peak activation memory against counts done by hand, and the verdict on two well-known shapes. */
class BottleneckTest {
    /** input (B,4,8,8) → conv3×3→8 → relu → conv3×3→8 ─┐ add → GAP → flatten → linear(8→3); the input also → conv1×1→8 ┘ */
    static Model residual() {
        TorchStyle t = new TorchStyle("hand", 3);
        String x = t.input(4, 8, 8);
        String a = t.relu(t.conv(x, 4, 8, 3, 1, 1, 1));
        String b = t.conv(a, 8, 8, 3, 1, 1, 1);
        String sc = t.conv(x, 4, 8, 1, 1, 0, 1);
        String y = t.add(b, sc);
        return t.finish(t.linear(t.flatten(t.globalAvgPool(y)), 8, 3), 3);
    }

    @Test
    void matchesHandCountOnResidualGraph() {
        Bottleneck r = Bottleneck.of(residual(), 2);
        // weights: conv0 8·4·9+8, conv1 8·8·9+8, conv2 8·4+8, fc 3·8+3 floats
        assertEquals(4L * (296 + 584 + 40 + 27), r.storageBytes);
        // MACs: every conv output (2·8·8·8 = 1024 values) takes C·R·S products; the linear 2·3 outputs 8 each
        assertEquals(1024L * 36 + 1024L * 72 + 1024L * 4 + 48, r.macs);
        // in execution order (bytes): conv0 x 2048 + c0 4096 · relu x,c0,a · conv1 x,a,b · conv2 x,b,sc · add b,sc,y ·
        // gap y + 64 · flatten 64+64 · gemm 64+24; the add is the peak with three 4096-byte maps
        long[] live = {6144, 10240, 10240, 10240, 12288, 4160, 128, 88};
        for (int i = 0; i < live.length; i++) assertEquals(live[i], r.layers.get(i).liveBytes(), "step " + i + " " + r.layers.get(i).op());
        assertEquals(12288, r.peakBytes);
        assertEquals("Add", r.layers.get(r.peakStep).op());
        assertEquals(3, r.peakTensors.size());
        for (Bottleneck.Live l : r.peakTensors) assertEquals(4096, l.bytes());
        // each activation written once and read once: 2·(2048 + 5·4096 + 64 + 64 + 24)
        assertEquals(2L * 22680, r.activationTraffic);
        // per-layer weights are attributed once and add up to the storage
        assertEquals(r.storageBytes, r.layers.stream().mapToLong(Bottleneck.Layer::paramBytes).sum());
        assertEquals(4096, r.layers.get(3).outputBytes());
    }

    @Test
    void batchScalesActivationsNotStorage() {
        Bottleneck one = Bottleneck.of(residual(), 1), four = Bottleneck.of(residual(), 4);
        assertEquals(one.storageBytes, four.storageBytes);
        assertEquals(4 * one.peakBytes, four.peakBytes);
        assertEquals(4 * one.macs, four.macs);
    }

    @Test
    void mobileNetV2IsActivationBoundAndMlpStorageBound() {
        Bottleneck mb = Bottleneck.of(Zoo.mobilenetV2(224, 1.0, 1000, 1), 1);
        System.out.printf("mobilenetv2: storage %d macs %d peak %d traffic %d at %s%n", mb.storageBytes, mb.macs, mb.peakBytes, mb.activationTraffic, mb.layers.get(mb.peakStep).node());
        assertEquals(Bottleneck.Resource.ACTIVATIONS, mb.dominant());
        Bottleneck mlp = Bottleneck.of(Models.mlp(1f, 10, 1), 1);
        assertEquals(Bottleneck.Resource.STORAGE, mlp.dominant());
    }
}
