package io.nnzip.data;

import io.nnzip.ir.NnzipException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Datasets that Debian ships as packages (today only Fashion-MNIST). On a fresh machine the first command that needs
 * one installs it — when it can without asking anyone (root, or sudo without a password) — instead of stopping with
 * "not installed"; otherwise it prints the one command to run. Only the command line turns this on
 * ({@link #autoInstall}): a library call or a test must not change the machine behind its caller's back.
 */
public final class DataPackages {
    private DataPackages() {}

    /** Dataset name → Debian package. */
    static final Map<String, String> PACKAGES = Map.of("fashion-mnist", "dataset-fashion-mnist");

    /** Set by the CLI; {@code NNZIP_NO_INSTALL=1} turns it off again. */
    public static volatile boolean autoInstall = false;

    /** The command a user runs to install {@code name}'s package, or null when Debian has none. */
    public static String installCommand(String name) {
        String pkg = PACKAGES.get(name);
        return pkg == null ? null : "sudo apt-get install " + pkg;
    }

    /**
     * Makes sure {@code file} (one of the dataset's files) exists, installing the package when allowed and possible.
     * Throws a one-line error with the command to run when it cannot.
     */
    public static void ensure(String name, Path file) {
        if (Files.exists(file)) return;
        String pkg = PACKAGES.get(name);
        String where = " (looked for " + file + ")";
        if (pkg == null) throw new NnzipException(name + " is not installed" + where + "; put its IDX files there or point NNZIP_DATASETS at their parent folder");
        String cmd = installCommand(name);
        if (!autoInstall || "1".equals(System.getenv("NNZIP_NO_INSTALL")))
            throw new NnzipException(name + " is not installed" + where + "; install it with: " + cmd);
        List<String> prefix = privilege();
        if (prefix == null) throw new NnzipException(name + " is not installed" + where + " and nnzip may not install packages here; run: " + cmd);
        System.err.println("nnzip: " + name + " is not installed; installing the Debian package " + pkg + " (apt-get, non-interactive)...");
        // a fresh machine may have no package lists yet: update once when the first attempt finds nothing
        if (!aptGet(prefix, "install", "-y", "-q", "--no-install-recommends", pkg) || !Files.exists(file)) {
            aptGet(prefix, "update", "-q");
            if (!aptGet(prefix, "install", "-y", "-q", "--no-install-recommends", pkg) || !Files.exists(file))
                throw new NnzipException("installing " + pkg + " failed (see the apt-get output above); run: " + cmd);
        }
        System.err.println("nnzip: installed " + pkg);
    }

    /** How to run apt-get as root without a prompt: nothing (we are root), "sudo -n", or null (not possible). */
    static List<String> privilege() {
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) return null;
        if ("root".equals(System.getProperty("user.name")) || uid() == 0) return List.of();
        try {
            Process p = new ProcessBuilder("sudo", "-n", "true").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? List.of("sudo", "-n") : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static long uid() {
        try {
            Object v = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return v instanceof Number n ? n.longValue() : -1;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    /** Runs apt-get with its output on our stderr (stdout belongs to --json); true on exit 0. */
    private static boolean aptGet(List<String> prefix, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        // another apt-get (an unattended upgrade, a second nnzip) may hold the lock: wait for it rather than fail
        cmd.addAll(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", "DPkg::Lock::Timeout=600"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; )
                    if (!line.startsWith("(Reading database")) System.err.println("  " + line); // one line per 5 % is noise
            }
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
