package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.Map;
import java.util.function.Consumer;

/** End-to-end fine-tuning shared by factorize and redesign. */
final class FineTuneSupport {
    private FineTuneSupport() {}

    static Map<String, Object> finetune(Model m, String data, int epochs, long seed, Consumer<String> log) {
        throw new NnzipException("--finetune needs the training engine, which this build does not include yet");
    }
}
