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

    /**
     * Loops running FAST tasks, by carrier thread. A FAST task's thread never touches a
     * ThreadLocal (a first get() would give each of a million parked tasks its own map): it
     * finds its scope through the loop that carries it, which knows which task step it runs.
     */
    private static final java.util.concurrent.ConcurrentHashMap<Thread, SelectorEventLoop> FAST_CARRIERS =
            new java.util.concurrent.ConcurrentHashMap<>();

    static void carrierStarted(Thread carrier, SelectorEventLoop loop) {
        FAST_CARRIERS.put(carrier, loop);
    }

    static void carrierStopped(Thread carrier) {
        FAST_CARRIERS.remove(carrier);
    }

    static Scope current() {
        Thread t = Thread.currentThread();
        if (t.isVirtual() && !FAST_CARRIERS.isEmpty()) {
            Thread carrier = io.loopbridge.internal.VirtualThreads.currentCarrierThread();
            SelectorEventLoop loop = carrier == null ? null : FAST_CARRIERS.get(carrier);
            if (loop != null) {
                Task<?> task = loop.runningTask;
                // A thread a task started inherits the loop as scheduler but is not the task.
                if (task != null && task.thread == t) {
                    return task.scope;
                }
            }
        }
        return CURRENT.get();
    }

    static Context currentContext() {
        Scope s = current();
        return s == null ? null : s.context;
    }

    /** Scope of the calling thread, created for a plain thread that needs one to set a ContextVar. */
    static Scope currentOrCreate() {
        Scope s = current();
        if (s == null) {
            s = new Scope(null, null, null);
            CURRENT.set(s);
        }
        return s;
    }
}
