package io.loopbridge;

/**
 * What the current thread is, for loopbridge: a loop thread (while its loop runs), a task's
 * thread, or a plain thread with ContextVar values of its own. One thread-local lookup
 * answers "which loop am I on?", "which task am I?" and "which context am I in?".
 */
final class Scope {
    static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    /** The loop this thread runs or belongs to; null on a plain thread. */
    final SelectorEventLoop loop;
    /** The task this thread is; null on loop and plain threads. */
    final Task<?> task;
    /** Current ContextVar values; for a loop thread, those of the callback running now. */
    Context context;

    Scope(SelectorEventLoop loop, Task<?> task, Context context) {
        this.loop = loop;
        this.task = task;
        this.context = context;
    }

    static Scope current() {
        return CURRENT.get();
    }

    static Context currentContext() {
        Scope s = CURRENT.get();
        return s == null ? null : s.context;
    }

    /** Scope of the calling thread, created for a plain thread that needs one to set a ContextVar. */
    static Scope currentOrCreate() {
        Scope s = CURRENT.get();
        if (s == null) {
            s = new Scope(null, null, null);
            CURRENT.set(s);
        }
        return s;
    }
}
