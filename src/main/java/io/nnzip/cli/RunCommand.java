package io.nnzip.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "run", mixinStandardHelpOptions = true, description = "(run: being built)")
public final class RunCommand extends BaseCommand {
    @Override
    protected Map<String, Object> execute() { return new LinkedHashMap<>(); }
}
