package io.nnzip.pass;

import io.nnzip.ir.Model;
import java.util.Map;

/**
 * What a pass returns.
 *
 * @param model      the new model (the input is left as it was)
 * @param report     the pass's figures and notes, as the command's {@code --json} prints them
 * @param provenance the record written into the model's metadata under {@code nnzip.<pass>} ({@link Provenance})
 */
public record PassResult(Model model, Map<String, Object> report, Map<String, Object> provenance) {}
