package io.nnzip.pipeline;

import java.util.List;
import java.util.Map;

/** Runs one of nnzip's commands in-process, so a recipe step takes exactly that command's options. */
public interface StepExecutor {
    /** Runs {@code command} with {@code args}; returns the result object its {@code --json} would print. */
    Map<String, Object> run(String command, List<String> args) throws Exception;

    /** Whether {@code command} exists. */
    boolean exists(String command);

    /** Whether {@code command} has the option {@code option} (data flags go only where they belong). */
    boolean accepts(String command, String option);
}
