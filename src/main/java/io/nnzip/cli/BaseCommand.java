package io.nnzip.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nnzip.ir.NnzipException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * Shared behaviour of every command: {@code --json} prints exactly one JSON object on stdout; human output
 * goes through {@link #say}; user errors print one line and exit 2; {@code --verbose} adds stack traces.
 */
public abstract class BaseCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    @Option(names = "--json", description = "Print one machine-readable JSON object instead of text.")
    protected boolean json;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    protected boolean verbose;

    /** Does the work; returns the result object that --json prints. */
    protected abstract Map<String, Object> execute() throws Exception;

    /** Prints the human-readable form of the result (after any {@link #say} output). */
    protected void printHuman(Map<String, Object> result, PrintStream out) {}

    /** A line of human output; silent under --json so stdout stays one JSON object. */
    protected void say(String line) {
        if (!json) System.out.println(line);
    }

    /** Progress and notes; on stderr so they never mix with JSON. */
    protected void note(String line) { System.err.println(line); }

    @Override
    public Integer call() {
        try {
            Map<String, Object> r = execute();
            if (json) System.out.println(JSON.writeValueAsString(r));
            else printHuman(r, System.out);
            return exitCode(r);
        } catch (NnzipException e) {
            System.err.println("nnzip: error: " + oneLine(e.getMessage()));
            if (verbose) e.printStackTrace();
            return 2;
        } catch (StackOverflowError e) {
            System.err.println("nnzip: error: input nested too deeply");
            return 2;
        } catch (OutOfMemoryError e) {
            System.err.println("nnzip: error: out of memory (raise -Xmx through NNZIP_JAVA_OPTS)");
            return 3;
        } catch (Exception e) {
            System.err.println("nnzip: internal error: " + oneLine(e.toString()));
            if (verbose) e.printStackTrace();
            else System.err.println("(run again with --verbose for the stack trace)");
            return 3;
        }
    }

    /** Errors quote names from untrusted files; they must stay one line however those names look. */
    static String oneLine(String s) { return s == null ? "" : s.replaceAll("[\\x00-\\x1f\\x7f]", " "); }

    /** Non-zero when a command's own check failed (e.g. conformance failures); 0 by default. */
    protected int exitCode(Map<String, Object> result) { return 0; }
}
