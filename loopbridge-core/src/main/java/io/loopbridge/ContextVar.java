package io.loopbridge;

import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A context variable (Python's contextvars.ContextVar): a value that follows the logical
 * flow of work rather than the thread. Each task starts with a copy of its creator's values;
 * callbacks scheduled from a task run with the task's values; {@code Threads.toThread},
 * {@code runCoroutineThreadsafe} and {@code EventThread.submit} carry the caller's values
 * across the thread hop. A write inside a task is never seen by its creator.
 *
 * <p>This class is thread-safe; each thread, task and callback sees its own values.
 *
 * @param <T> the value type
 */
public final class ContextVar<T> {
    private static final Object MISSING = new Object();

    private final String name;
    private final T defaultValue;
    private final boolean hasDefault;

    private ContextVar(String name, T defaultValue, boolean hasDefault) {
        this.name = Objects.requireNonNull(name, "name");
        this.defaultValue = defaultValue;
        this.hasDefault = hasDefault;
    }

    /** A variable with no default: {@link #get()} throws until it is set. */
    public static <T> ContextVar<T> of(String name) {
        return new ContextVar<>(name, null, false);
    }

    /** A variable whose {@link #get()} returns {@code defaultValue} until it is set. */
    public static <T> ContextVar<T> withDefault(String name, T defaultValue) {
        return new ContextVar<>(name, defaultValue, true);
    }

    public String name() {
        return name;
    }

    /** The current value; throws {@link NoSuchElementException} if unset and no default. */
    @SuppressWarnings("unchecked")
    public T get() {
        Object v = Context.orEmpty(Scope.context()).get(this, MISSING);
        if (v != MISSING) {
            return (T) v;
        }
        if (hasDefault) {
            return defaultValue;
        }
        throw new NoSuchElementException("ContextVar '" + name + "' has no value in this context and no default");
    }

    /** The current value, or {@code fallback} if unset. */
    @SuppressWarnings("unchecked")
    public T getOrDefault(T fallback) {
        Object v = Context.orEmpty(Scope.context()).get(this, MISSING);
        return v != MISSING ? (T) v : hasDefault ? defaultValue : fallback;
    }

    /** Sets the value in the current context; returns a token that {@link #reset} undoes. */
    public Token<T> set(T value) {
        Object owner = Scope.contextOwner();
        Context before = Context.orEmpty(Scope.context());
        Object old = before.get(this, MISSING);
        Scope.setContext(before.with(this, value));
        return new Token<>(this, old, owner);
    }

    /** Restores the value this variable had before the {@link #set} that made {@code token}. */
    public void reset(Token<T> token) {
        Objects.requireNonNull(token, "token");
        if (token.var != this) {
            throw new IllegalArgumentException("token was created by ContextVar '" + token.var.name
                    + "', not '" + name + "'");
        }
        if (token.owner != Scope.contextOwner()) {
            throw new IllegalStateException("token of ContextVar '" + name
                    + "' was created in a different context (another task, callback or thread)");
        }
        if (token.used) {
            throw new IllegalStateException("token of ContextVar '" + name + "' has already been used");
        }
        token.used = true;
        Context c = Context.orEmpty(Scope.context());
        Scope.setContext(token.old == MISSING ? c.without(this) : c.with(this, token.old));
    }

    @Override
    public String toString() {
        return "ContextVar[" + name + "]";
    }

    /** Undo information for one {@link ContextVar#set}; single use. Not thread-safe. */
    public static final class Token<T> {
        private final ContextVar<T> var;
        private final Object old;
        private final Object owner;
        private boolean used;

        private Token(ContextVar<T> var, Object old, Object owner) {
            this.var = var;
            this.old = old;
            this.owner = owner;
        }

        public ContextVar<T> var() {
            return var;
        }
    }
}
