package io.nnzip.spark;

import io.nnzip.ir.NnzipException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** Starts a Spark context for nnzip work, with one-line errors for what a user can get wrong. */
public final class SparkContexts {
    public static final String DEFAULT_MASTER = "local[*]";
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),\\s*(\\d+)]");
    // what executors need besides Spark's own flags: the core's Vector API kernels and native ONNX Runtime
    private static final String EXECUTOR_OPTS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED";

    private SparkContexts() {}

    /** A context on {@code master} with at least {@code slots} task slots (0: no requirement). */
    public static JavaSparkContext start(String master, int slots) {
        String m = withRetries(master == null || master.isBlank() ? DEFAULT_MASTER : master.trim());
        int known = knownSlots(m);
        if (slots > 0 && known > 0 && slots > known)
            throw new NnzipException("--workers " + slots + " exceeds the " + known + " task slots of Spark master " + m);
        if (m.startsWith("spark://")) checkReachable(m);
        SparkConf conf = new SparkConf().setMaster(m).setAppName("nnzip")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                // a retried task recomputes its point from the same bytes and seed: same result
                .set("spark.task.maxFailures", "4")
                .set("spark.executor.extraJavaOptions", EXECUTOR_OPTS + " " + System.getProperty("nnzip.spark.opens", ""));
        if (m.startsWith("local")) conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        if (!m.startsWith("local[") && !m.equals("local"))
            // executors (separate JVMs) load nnzip from the same paths: this machine in local-cluster, a shared filesystem on a cluster
            conf.set("spark.executor.extraClassPath", System.getProperty("java.class.path"));
        JavaSparkContext sc;
        awaitStopped();
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new NnzipException("cannot start Spark on master " + m + ": " + rootMessage(e));
        }
        sc.setLogLevel("ERROR");
        if (slots > 0 && known <= 0) awaitSlots(sc, m, slots);
        return sc;
    }

    /**
     * A plain local master ("local", "local[N]", "local[*]") never retries a failed task (Spark ignores
     * spark.task.maxFailures there); its "local[N,F]" form does, as a cluster does: F = 4 unless given.
     */
    static String withRetries(String m) {
        if (m.equals("local")) return "local[1,4]";
        Matcher l = LOCAL.matcher(m);
        return l.matches() && m.indexOf(',') < 0 ? "local[" + l.group(1) + ",4]" : m;
    }

    /** Task slots a local master has by its URL; -1 when only the running cluster knows. */
    static int knownSlots(String m) {
        Matcher l = LOCAL.matcher(m);
        if (l.matches()) return l.group(1) == null ? 1 : l.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(l.group(1));
        Matcher c = LOCAL_CLUSTER.matcher(m);
        if (c.matches()) return Integer.parseInt(c.group(1)) * Integer.parseInt(c.group(2));
        return -1;
    }

    private static void awaitSlots(JavaSparkContext sc, String m, int slots) {
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end && sc.sc().getExecutorIds().isEmpty()) sleep();
        int have = sc.defaultParallelism();
        if (slots > have) {
            sc.stop();
            throw new NnzipException("--workers " + slots + " exceeds the " + have + " task slots Spark master " + m + " offers");
        }
    }

    private static void checkReachable(String m) {
        for (String hp : m.substring("spark://".length()).split(",")) {
            URI u = URI.create("spark://" + hp);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 7077 : u.getPort()), 5000);
                return;
            } catch (Exception e) {
                if (m.indexOf(',') < 0) throw new NnzipException("cannot reach Spark master " + m + " (" + e.getMessage() + ")");
            }
        }
        throw new NnzipException("cannot reach any Spark master of " + m);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String msg = t.getMessage() == null ? t.toString() : t.getMessage();
        return msg.lines().findFirst().orElse(msg);
    }

    /** Whether the executors run in this JVM (local, local[N], local[*]). */
    static boolean inProcess(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /**
     * Stops the context. With in-process executors ({@code background}) the stop runs on a daemon thread: nothing
     * outside this JVM waits for it, and a command that exits right after its result would otherwise spend the stop
     * (a third of a second to a second) after its work is done. A cluster's context is stopped before returning, so
     * its manager learns at once that the application ended.
     */
    static void stop(JavaSparkContext sc, boolean background) {
        if (background) stopping = Thread.ofPlatform().daemon().name("nnzip-spark-stop").start(sc::stop);
        else sc.stop();
    }

    // a context stopping in the background; Spark allows one context per JVM, so the next start waits for it
    private static volatile Thread stopping;

    private static void awaitStopped() {
        Thread t = stopping;
        if (t == null) return;
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Cores of the executor this task runs on: spark.executor.cores, else a local master's threads, else the JVM's processors. */
    static int executorCores() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        int cpus = Runtime.getRuntime().availableProcessors();
        if (env == null) return cpus;
        if (env.conf().contains("spark.executor.cores")) return env.conf().getInt("spark.executor.cores", cpus);
        int local = knownSlots(env.conf().get("spark.master", ""));
        return env.conf().get("spark.master", "").startsWith("local[") || env.conf().get("spark.master", "").equals("local") ? Math.max(1, local) : cpus;
    }

    /** Where this task runs: executor id and host. */
    static String where() {
        org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
        String exec = org.apache.spark.SparkEnv.get() == null ? "?" : org.apache.spark.SparkEnv.get().executorId();
        return "executor " + exec + "@" + io.nnzip.dist.TrainSpec.host() + (tc == null ? "" : " (partition " + tc.partitionId() + ", attempt " + tc.attemptNumber() + ")");
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The one-line error a failed Spark job means: the nnzip error a task threw, else Spark's first line. */
    static NnzipException explain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause())
            if (t instanceof NnzipException n) return new NnzipException("on Spark: " + n.getMessage());
        String msg = String.valueOf(e.getMessage());
        Matcher m = Pattern.compile("io\\.nnzip\\.ir\\.NnzipException: ([^\\n]*)").matcher(msg);
        if (m.find()) return new NnzipException("on Spark: " + m.group(1));
        return new NnzipException("Spark job failed: " + rootMessage(e));
    }
}
