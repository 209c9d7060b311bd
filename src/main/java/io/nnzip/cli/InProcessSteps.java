package io.nnzip.cli;

import io.nnzip.ir.NnzipException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Runs an nnzip command inside this JVM (the final encode of a recipe run), parsing its options with that command's own spec. */
final class InProcessSteps {
    /** A stand-alone parser for one command (a subcommand's own CommandLine cannot parse without its parent). */
    static CommandLine sub(String command) {
        CommandLine c = new CommandLine(new Main()).getSubcommands().get(command);
        if (c == null || !(c.getCommand() instanceof BaseCommand)) throw new NnzipException("no such step command: " + command);
        return new CommandLine(c.getCommand().getClass());
    }

    public Map<String, Object> run(String command, List<String> args) throws Exception {
        CommandLine c = sub(command);
        try {
            c.parseArgs(args.toArray(String[]::new));
            OptionRules.check(c.getParseResult());
        } catch (CommandLine.ParameterException e) {
            throw new NnzipException(command + ": " + e.getMessage());
        }
        BaseCommand cmd = c.getCommand();
        cmd.json = true;
        return cmd.execute();
    }

    public boolean exists(String command) {
        CommandLine c = new CommandLine(new Main()).getSubcommands().get(command);
        return c != null && c.getCommand() instanceof BaseCommand;
    }

    public boolean accepts(String command, String option) {
        return exists(command) && sub(command).getCommandSpec().findOption(option) != null;
    }
}
