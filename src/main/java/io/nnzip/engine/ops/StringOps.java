package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * StringNormalizer: drops stopwords (case-insensitively unless is_case_sensitive=1) and changes case. Input (C) or
 * (1, C); when every string is dropped the output holds one empty string. Registered by {@link MiscOps}.
 */
final class StringOps {
    private StringOps() {}

    static void register() {
        OpRegistry.register("StringNormalizer", StringOps::normalize, (n, in, o) -> {
            int[] s = in[0].shape();
            return Rules.one(DType.STRING, s == null ? null : s.length == 2 ? new int[] {1, -1} : new int[] {-1});
        });
    }

    private static String[] stopwords(Node n) {
        var a = n.attr("stopwords");
        if (a == null) return new String[0];
        if (a.type() != io.nnzip.ir.Attribute.Type.STRINGS) throw new NnzipException("StringNormalizer: stopwords must be STRINGS, is " + a.type());
        return (String[]) a.value();
    }

    // x: string (C) or (1, C) -> (C') or (1, C')
    private static Tensor[] normalize(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        if (x.dtype() != DType.STRING) throw new NnzipException("StringNormalizer needs a string tensor, got " + x.dtype().lower());
        if (!(s.length == 1 || (s.length == 2 && s[0] == 1))) throw new NnzipException("StringNormalizer: input must be (C) or (1, C), got " + Shapes.str(s));
        boolean caseSensitive = n.attrInt("is_case_sensitive", 0) == 1;
        String action = n.attrString("case_change_action", "NONE");
        Locale locale = n.has("locale") ? Locale.forLanguageTag(n.attrString("locale", "en-US").replace('_', '-')) : Locale.ROOT;
        Set<String> stop = new HashSet<>();
        for (String w : stopwords(n)) stop.add(caseSensitive ? w : w.toLowerCase(locale));
        List<String> out = new ArrayList<>();
        for (String w : x.strings()) {
            if (stop.contains(caseSensitive ? w : w.toLowerCase(locale))) continue;
            out.add(switch (action) {
                case "LOWER" -> w.toLowerCase(locale);
                case "UPPER" -> w.toUpperCase(locale);
                case "NONE" -> w;
                default -> throw new NnzipException("StringNormalizer: case_change_action must be LOWER, UPPER or NONE, got " + action);
            });
        }
        if (out.isEmpty()) out.add("");
        int[] os = s.length == 2 ? new int[] {1, out.size()} : new int[] {out.size()};
        return new Tensor[] {new Tensor(DType.STRING, os, out.toArray(String[]::new))};
    }
}
