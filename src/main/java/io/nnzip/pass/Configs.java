package io.nnzip.pass;

import io.nnzip.ir.NnzipException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds pass configs from plain values and back: a record whose components carry {@link Setting} (or a class
 * with public {@link Setting} fields). Keys are the fields' snake_case names ({@code finetuneBudget} is
 * {@code finetune_budget}); a missing key takes the field's default; values convert from what YAML and Java give
 * (numbers, booleans, strings, lists). Unknown keys are an error naming the known ones, and the config's own
 * constructor validates the result. One mechanism serves the CLI, recipes, Java callers and provenance.
 */
public final class Configs {
    private Configs() {}

    /** A config of type {@code type} from {@code values} (snake_case keys), defaults for the rest. */
    public static <T> T of(Class<T> type, Map<String, ?> values) {
        Map<String, ?> v = values == null ? Map.of() : values;
        List<Slot> slots = slots(type);
        Set<String> known = new TreeSet<>();
        for (Slot s : slots) known.add(s.key);
        for (String k : v.keySet())
            if (!known.contains(k)) throw new NnzipException(type.getSimpleName() + ": unknown option '" + k + "' (known: " + String.join(", ", known) + ")");
        try {
            if (type.isRecord()) {
                Object[] args = new Object[slots.size()];
                Class<?>[] types = new Class<?>[slots.size()];
                for (int i = 0; i < slots.size(); i++) {
                    Slot s = slots.get(i);
                    types[i] = s.raw;
                    args[i] = value(s, v.containsKey(s.key) ? v.get(s.key) : null, !v.containsKey(s.key), type);
                }
                Constructor<T> c = type.getDeclaredConstructor(types);
                c.setAccessible(true);
                return c.newInstance(args);
            }
            T obj = type.getDeclaredConstructor().newInstance();
            for (Slot s : slots) if (v.containsKey(s.key)) s.field.set(obj, value(s, v.get(s.key), false, type));
            return obj;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new NnzipException(type.getSimpleName() + ": " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " is not a config type: " + e, e);
        }
    }

    /** {@code config} with the options in {@code overrides} replaced (a retry's gentler settings). */
    @SuppressWarnings("unchecked")
    public static <T> T with(T config, Map<String, ?> overrides) {
        Map<String, Object> all = new LinkedHashMap<>();
        for (Slot s : slots(config.getClass())) all.put(s.key, get(s, config));
        all.putAll(overrides);
        return (T) of(config.getClass(), all);
    }

    /** Every option's current value by key, for provenance and reports (enums and parsed types as text). */
    public static Map<String, Object> toMap(Object config) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Slot s : slots(config.getClass())) m.put(s.key, plain(get(s, config)));
        return m;
    }

    /** Every option's description by key (with its default when it has one). */
    public static Map<String, String> describe(Class<?> type) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Slot s : slots(type)) m.put(s.key, s.setting.value() + (s.setting.dflt().isEmpty() ? "" : " (default " + s.setting.dflt() + ")"));
        return m;
    }

    /** {@code finetuneBudget} → {@code finetune_budget}. */
    public static String key(String javaName) {
        StringBuilder sb = new StringBuilder();
        for (char c : javaName.toCharArray()) {
            if (Character.isUpperCase(c)) sb.append('_').append(Character.toLowerCase(c));
            else sb.append(c);
        }
        return sb.toString();
    }

    private record Slot(String key, Class<?> raw, Type generic, Setting setting, RecordComponent component, Field field) {}

    private static List<Slot> slots(Class<?> type) {
        List<Slot> out = new ArrayList<>();
        if (type.isRecord()) {
            for (RecordComponent rc : type.getRecordComponents()) {
                Setting s = rc.getAnnotation(Setting.class);
                if (s == null) throw new IllegalStateException(type.getSimpleName() + "." + rc.getName() + " has no @Setting");
                out.add(new Slot(key(rc.getName()), rc.getType(), rc.getGenericType(), s, rc, null));
            }
        } else {
            for (Field f : type.getFields())
                if (f.isAnnotationPresent(Setting.class) && !Modifier.isStatic(f.getModifiers()))
                    out.add(new Slot(key(f.getName()), f.getType(), f.getGenericType(), f.getAnnotation(Setting.class), null, f));
        }
        return out;
    }

    private static Object get(Slot s, Object config) {
        try {
            if (s.component != null) {
                Method acc = s.component.getAccessor();
                acc.setAccessible(true);
                return acc.invoke(config);
            }
            return s.field.get(config);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object plain(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) return v;
        if (v instanceof Enum<?> e) return e.name().toLowerCase(Locale.ROOT);
        if (v instanceof Collection<?> c) return c.stream().map(Configs::plain).toList();
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> r = new LinkedHashMap<>();
            m.forEach((k, x) -> r.put(String.valueOf(k), plain(x)));
            return r;
        }
        return v.toString();
    }

    /** @param useDefault true when the key was absent: the {@link Setting#dflt} text is converted instead */
    private static Object value(Slot s, Object given, boolean useDefault, Class<?> owner) {
        Object v = useDefault ? (s.setting.dflt().isEmpty() ? null : s.setting.dflt()) : given;
        try {
            return convert(v, s.raw, s.generic);
        } catch (RuntimeException e) {
            throw new NnzipException(owner.getSimpleName() + ": option '" + s.key + "' cannot be " + v + " (" + s.setting.value() + ")");
        }
    }

    private static Object convert(Object v, Class<?> t, Type generic) {
        if (v == null) {
            if (!t.isPrimitive()) return t == List.class ? List.of() : t == Set.class ? new LinkedHashSet<>() : null;
            v = t == boolean.class ? "false" : "0";
        }
        if (t.isInstance(v) && !(v instanceof Collection<?>)) return v;
        String s = v instanceof Collection<?> ? null : v.toString().trim();
        if (t == int.class || t == Integer.class) return v instanceof Number n ? n.intValue() : Integer.parseInt(s);
        if (t == long.class || t == Long.class) return v instanceof Number n ? n.longValue() : Long.parseLong(s);
        if (t == double.class || t == Double.class) return v instanceof Number n ? n.doubleValue() : Double.parseDouble(s);
        if (t == float.class || t == Float.class) return v instanceof Number n ? n.floatValue() : Float.parseFloat(s);
        if (t == boolean.class || t == Boolean.class) {
            if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) return Boolean.parseBoolean(s);
            throw new IllegalArgumentException(s);
        }
        if (t == String.class) return s;
        if (t == List.class || t == Set.class) {
            Collection<String> out = t == List.class ? new ArrayList<>() : new LinkedHashSet<>();
            if (v instanceof Collection<?> c) for (Object o : c) out.add(String.valueOf(o));
            else for (String p : s.split(",")) if (!p.isBlank()) out.add(p.trim());
            return t == List.class ? List.copyOf(out) : out;
        }
        try {
            Method parse = t.getMethod("parse", String.class);
            if (Modifier.isStatic(parse.getModifiers())) return parse.invoke(null, s);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalArgumentException(e.getCause());
        } catch (ReflectiveOperationException ignored) {
            // no parse method: try an enum below
        }
        if (t.isEnum())
            for (Object c : t.getEnumConstants()) if (((Enum<?>) c).name().equalsIgnoreCase(s.replace('-', '_'))) return c;
        if (generic instanceof ParameterizedType) throw new IllegalArgumentException("unsupported option type " + generic);
        throw new IllegalArgumentException("unsupported option type " + t.getSimpleName());
    }
}
