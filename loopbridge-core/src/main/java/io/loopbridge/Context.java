package io.loopbridge;

import java.util.Arrays;

/**
 * An immutable snapshot of {@link ContextVar} values (contextvars.Context). Copying a
 * context is sharing the reference; a write makes a new snapshot. Contexts hold few
 * variables, so a flat array beats a hash trie here.
 */
final class Context {
    static final Context EMPTY = new Context(new Object[0]);

    /** Alternating ContextVar, value. */
    private final Object[] entries;

    private Context(Object[] entries) {
        this.entries = entries;
    }

    /** A new empty snapshot, distinct from every other: for a caller to compare by identity. */
    static Context distinctEmpty() {
        return new Context(new Object[0]);
    }

    static Context orEmpty(Context c) {
        return c == null ? EMPTY : c;
    }

    /** The value of {@code var}, or {@code missing} if unset. */
    Object get(ContextVar<?> var, Object missing) {
        Object[] e = entries;
        for (int i = 0; i < e.length; i += 2) {
            if (e[i] == var) {
                return e[i + 1];
            }
        }
        return missing;
    }

    /** The names of the variables set, in the order they were first set, as a list: "[a, b]". */
    String names() {
        java.util.StringJoiner j = new java.util.StringJoiner(", ", "[", "]");
        for (int i = 0; i < entries.length; i += 2) {
            j.add(((ContextVar<?>) entries[i]).name());
        }
        return j.toString();
    }

    Context with(ContextVar<?> var, Object value) {
        Object[] e = entries;
        for (int i = 0; i < e.length; i += 2) {
            if (e[i] == var) {
                Object[] copy = e.clone();
                copy[i + 1] = value;
                return new Context(copy);
            }
        }
        Object[] copy = Arrays.copyOf(e, e.length + 2);
        copy[e.length] = var;
        copy[e.length + 1] = value;
        return new Context(copy);
    }

    Context without(ContextVar<?> var) {
        Object[] e = entries;
        for (int i = 0; i < e.length; i += 2) {
            if (e[i] == var) {
                Object[] copy = new Object[e.length - 2];
                System.arraycopy(e, 0, copy, 0, i);
                System.arraycopy(e, i + 2, copy, i, e.length - i - 2);
                return copy.length == 0 ? EMPTY : new Context(copy);
            }
        }
        return this;
    }
}
