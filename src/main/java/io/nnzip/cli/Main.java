package io.nnzip.cli;

import io.nnzip.ir.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nnzip} command line. */
@Command(name = "nnzip", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Makes trained neural networks small and fast, and ships them compactly.",
        subcommands = {InfoCommand.class, RunCommand.class, ConformanceCommand.class, BenchCommand.class,
                TrainCommand.class, EvalCommand.class, PruneCommand.class, SensitivityCommand.class, SearchCommand.class,
                QuantizeCommand.class, FactorizeCommand.class, RedesignCommand.class, DistillCommand.class,
                DynamicCommand.class, EncodeCommand.class, DecodeCommand.class, DiffCommand.class, PatchCommand.class,
                PackCommand.class, UnpackCommand.class, InspectCommand.class, BenchCodecCommand.class,
                CompressCommand.class, RecipesCommand.class, DemoCommand.class,
                ServeCommand.class, PullCommand.class, PushCommand.class, AggregateCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() { new CommandLine(this).usage(System.out); }

    public static void main(String[] args) { System.exit(run(args)); }

    public static int run(String... args) {
        // a command-line user on a fresh machine gets the Debian data package installed when that needs no prompt
        io.nnzip.data.DataPackages.autoInstall = true;
        return configure(new CommandLine(new Main())).execute(args);
    }

    /** The error handling and option checks every nnzip command line gets (also a single command's, in tests). */
    static CommandLine configure(CommandLine cl) {
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandName();
            // one line, as every other user error: the hint rides on the same line
            System.err.println("nnzip: error: " + oneLine(ex.getMessage()) + " (see 'nnzip " + (cmd.equals("nnzip") ? "" : cmd + " ") + "--help')");
            return 2;
        });
        // option ranges, deprecated names and output folders are checked once, here, before any command runs
        cl.setExecutionStrategy(pr -> {
            OptionRules.check(pr);
            return new CommandLine.RunLast().execute(pr);
        });
        return cl;
    }

    static String oneLine(String s) { return s == null ? "" : BaseCommand.oneLine(s.strip().replaceAll("\\s*\\R\\s*", "; ")); }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nnzip " + Version.VERSION + " (Java " + Runtime.version() + ", " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")"};
        }
    }
}
