package io.nnzip.dist;

import io.nnzip.ir.NnzipException;
import java.util.ServiceLoader;

/** Finds the scale-out implementation on the class path, with one-line errors when it cannot run here. */
public final class ScaleOuts {
    /** Spark refuses JDK 25 builds before 25.0.3 (a G1 data-corruption bug); checking first gives a clear error. */
    public static final Runtime.Version MIN_JDK = Runtime.Version.parse("25.0.3");

    private ScaleOuts() {}

    public static ScaleOut require() {
        checkJdk(Runtime.version());
        for (ScaleOut s : ServiceLoader.load(ScaleOut.class)) return s;
        throw new NnzipException("--spark needs the nnzip-spark module: build it with `mvn -o -q install -DskipTests && mvn -q -f spark/pom.xml package -DskipTests`"
                + " (the nnzip launcher then adds spark/target/nnzip-spark.jar and spark/target/lib/* to the class path)");
    }

    public static void checkJdk(Runtime.Version v) {
        if (v.compareToIgnoreOptional(MIN_JDK) < 0)
            throw new NnzipException("--spark needs JDK >= " + MIN_JDK + " (earlier JDK 25 builds have a G1 bug Spark refuses), this is " + v + "; set NNZIP_JAVA_HOME");
    }
}
