package io.nnzip.cli;

import picocli.CommandLine.Option;

/**
 * {@code --spark [MASTER]}: run the command's independent work on Apache Spark (the nnzip-spark module, found at run
 * time). Without a value the master is an embedded {@code local[*]}; {@code spark://}, {@code yarn}, {@code k8s://}
 * and {@code local-cluster[...]} URLs work as Spark defines them.
 */
public final class SparkOptions {
    @Option(names = "--spark", arity = "0..1", fallbackValue = "local[*]", paramLabel = "MASTER",
            description = "Run on Apache Spark (needs the nnzip-spark module); MASTER default local[*], or spark://HOST:PORT, yarn, k8s://...")
    public String master;

    public boolean enabled() { return master != null; }
}
