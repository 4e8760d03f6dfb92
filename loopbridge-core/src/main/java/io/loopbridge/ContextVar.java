package io.loopbridge;

import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A context variable (Python's contextvars.ContextVar): a value that follows the logical
 * flow of work rather than the thread. Each task starts with a copy of its creator's values;
 * callbacks scheduled from a task run with the task's values; {@code Threads.toThread},
 * {@code runCoroutineThreadsafe} and {@code EventThread.submit} carry the caller's values
 * across the thread hop. A write inside a task is never seen by its creator.
 *
 * <p>To share values instead of copying them, run code in a {@link Context}: a task created
 * with one ({@code loop.createTask(name, body, context)}) or code run by
 * {@link Context#call} reads and writes that context's values, and so does every other task or
 * thread running in it.
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

    /** The values the calling code runs with. */
    private static io.loopbridge.Context current() {
        return io.loopbridge.Context.orEmpty(Scope.context());
    }

    /** The current value; throws {@link NoSuchElementException} if unset and no default. */
    @SuppressWarnings("unchecked")
    public T get() {
        Object v = current().get(this, MISSING);
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
        Object v = current().get(this, MISSING);
        return v != MISSING ? (T) v : hasDefault ? defaultValue : fallback;
    }

    /** Sets the value in the current context; returns a token that {@link #reset} undoes. */
    public Token<T> set(T value) {
        Object owner = Scope.contextOwner();
        Object old;
        if (owner instanceof Scope.Holder shared) {
            // A thread's values or a Context others may run in at the same time: one atomic write.
            old = io.loopbridge.Context.orEmpty(shared.put(this, value)).get(this, MISSING);
        } else {
            io.loopbridge.Context before = current(); // a task's or a callback's own: confined
            old = before.get(this, MISSING);
            Scope.setContext(before.with(this, value));
        }
        return new Token<>(this, old, owner);
    }

    /** Restores the value this variable had before the {@link #set} that made {@code token}. */
    public void reset(Token<T> token) {
        Objects.requireNonNull(token, "token");
        if (token.var != this) {
            throw new IllegalArgumentException("token was created by ContextVar '" + token.var.name
                    + "', not '" + name + "'");
        }
        Object owner = Scope.contextOwner();
        if (token.owner != owner && !(owner instanceof Context c && c.origin == token.owner)) {
            throw new IllegalStateException("token of ContextVar '" + name
                    + "' was created in a different context (another task, callback, thread or Context)");
        }
        if (token.used) {
            throw new IllegalStateException("token of ContextVar '" + name + "' has already been used");
        }
        token.used = true;
        if (owner instanceof Scope.Holder shared) {
            if (token.old == MISSING) {
                shared.remove(this);
            } else {
                shared.put(this, token.old);
            }
        } else {
            io.loopbridge.Context c = current();
            Scope.setContext(token.old == MISSING ? c.without(this) : c.with(this, token.old));
        }
    }

    @Override
    public String toString() {
        return "ContextVar[" + name + "]";
    }

    /**
     * A set of {@link ContextVar} values that code runs in (Python's contextvars.Context): what
     * that code sets, the context holds, and every task and thread running in it shares.
     * {@link #copyCurrent()} takes the values the caller runs with now; then
     * {@code loop.createTask(name, body, context)} ({@link EventLoop#createTask(String, Callable, Context)},
     * {@link Async#spawn(String, Callable, Context)}, {@link TaskGroup#spawn(String, Callable, Context)})
     * runs a task in it, and {@link #call} runs code in it on the calling thread or task.
     * {@link Task#context()} is the context a task runs in.
     *
     * <pre>{@code
     * ContextVar.Context ctx = ContextVar.Context.copyCurrent();
     * Async.await(Async.spawn("login", () -> user.set("ada"), ctx));
     * ctx.get(user);                     // "ada": the task wrote into ctx
     * user.getOrDefault(null);           // unchanged here: this code does not run in ctx
     * }</pre>
     *
     * <p>Tasks created without a context copy their creator's values instead (a write inside one
     * is never seen elsewhere), and that costs nothing extra; a context is only made for code
     * that asks for one.
     *
     * <p>Unlike Python's, a context may be run in by several tasks and threads at once (Python
     * lets one thread enter a context at a time): each write is atomic and seen by the others'
     * next reads.
     *
     * <p>This class is thread-safe.
     */
    public static final class Context extends Scope.Holder {
        /** The task whose own values this context took over ({@link Task#context()}), or null. */
        private final Object origin;

        private Context(io.loopbridge.Context values, Object origin) {
            super(values);
            this.origin = origin;
        }

        /** The context a task's own values move into when asked for; tokens it made before still reset there. */
        static Context ownedBy(LoopTasks.Entry task, io.loopbridge.Context values) {
            return new Context(values, task);
        }

        /** A new context with the values the calling code runs with now (Python's {@code copy_context()}). Any thread. */
        public static Context copyCurrent() {
            return new Context(Scope.context(), null);
        }

        /** A new context with no values. */
        public static Context empty() {
            return new Context(null, null);
        }

        /** A new context with this one's values now; the two then change separately. */
        public Context copy() {
            return new Context(context, null);
        }

        /**
         * The value {@code var} has in this context, or null if it has none here (the variable's
         * default does not apply; see {@link #contains}).
         */
        @SuppressWarnings("unchecked")
        public <V> V get(ContextVar<V> var) {
            Objects.requireNonNull(var, "var");
            Object v = io.loopbridge.Context.orEmpty(context).get(var, MISSING);
            return v == MISSING ? null : (V) v;
        }

        /** Whether {@code var} has a value in this context. */
        public boolean contains(ContextVar<?> var) {
            Objects.requireNonNull(var, "var");
            return io.loopbridge.Context.orEmpty(context).get(var, MISSING) != MISSING;
        }

        /**
         * Calls {@code body} on the calling thread or task running in this context (Python's
         * {@code Context.run}): the ContextVar values it reads and writes are this context's,
         * until it returns; then the caller's values are back. Tasks and callbacks it creates
         * start with a copy of this context's values. In a task, {@code body} may suspend; the
         * task runs in this context until {@code body} returns. Returns what {@code body}
         * returned and throws what it threw.
         */
        public <V> V call(Callable<V> body) throws Exception {
            Objects.requireNonNull(body, "body");
            Task<?> task = Task.currentOrNull();
            if (task == null) {
                return Scope.callIn(this, body);
            }
            Context before = task.enterContext(this);
            try {
                return body.call();
            } finally {
                task.enterContext(before);
            }
        }

        /** As {@link #call}, for a body without a result or checked exceptions. */
        public void run(Runnable body) {
            Objects.requireNonNull(body, "body");
            try {
                call(() -> {
                    body.run();
                    return null;
                });
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError("a Runnable threw a checked exception", e); // cannot happen
            }
        }

        /** Names the variables set in this context (not their values, which may be secrets). */
        @Override
        public String toString() {
            return "ContextVar.Context" + io.loopbridge.Context.orEmpty(context).names();
        }
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
