package io.nnzip.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "conformance", mixinStandardHelpOptions = true, description = "(conformance: being built)")
public final class ConformanceCommand extends BaseCommand {
    @Override
    protected Map<String, Object> execute() { return new LinkedHashMap<>(); }
}
