// Counts how often FloatVector.reduceLanes(ADD) of fixed vectors changes value once the JIT has compiled the caller.
// java --add-modules jdk.incubator.vector scripts/ReduceLanesOrder.java
import jdk.incubator.vector.*;
public class ReduceLanesOrder {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    // one reduceLanes(ADD) of a fixed vector; the same inputs, before and after C2 compiles this method
    static float r(float[] a) { return FloatVector.fromArray(S, a, 0).reduceLanes(VectorOperators.ADD); }
    public static void main(String[] x) {
        java.util.Random rnd = new java.util.Random(1);
        float[][] as = new float[64][S.length()];
        for (float[] a : as) for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(6)));
        float[] first = new float[64];
        for (int k = 0; k < 64; k++) first[k] = r(as[k]);
        int diff = 0;
        for (int it = 0; it < 200000; it++) for (int k = 0; k < 64; k++) if (r(as[k]) != first[k]) diff++;
        System.out.println("lanes " + S.length() + " differing results after warm-up: " + diff);
    }
}
