package io.nnzip.cli;

import io.nnzip.ir.NnzipException;
import picocli.CommandLine;

/** A command's own option parser, stand-alone (the demo runs train with its own flags; tests check recipe options against it). */
final class InProcessSteps {
    /** A stand-alone parser for one command (a subcommand's own CommandLine cannot parse without its parent). */
    static CommandLine sub(String command) {
        CommandLine c = new CommandLine(new Main()).getSubcommands().get(command);
        if (c == null || !(c.getCommand() instanceof BaseCommand)) throw new NnzipException("no such step command: " + command);
        return new CommandLine(c.getCommand().getClass());
    }
}
