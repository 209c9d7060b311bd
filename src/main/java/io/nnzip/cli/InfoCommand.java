package io.nnzip.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "info", mixinStandardHelpOptions = true, description = "(info: being built)")
public final class InfoCommand extends BaseCommand {
    @Override
    protected Map<String, Object> execute() { return new LinkedHashMap<>(); }
}
