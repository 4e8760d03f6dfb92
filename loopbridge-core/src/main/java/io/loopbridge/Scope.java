package io.loopbridge;

import io.loopbridge.internal.VirtualThreads;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;

/**
 * What the calling thread is, for loopbridge: a loop's thread (while it runs a turn), the
 * task whose step that loop runs, or a plain thread. Answers "which loop?", "which task?" and
 * "which ContextVar values?" in one place.
 *
 * <p>A thread holding a loop's turn finds the loop in its own slot ({@link RunningTurns}). A
 * task's virtual thread never touches a thread-local (a first {@code get()} would give each of
 * a million parked tasks its own map): a FAST task finds the loop that carries it, a PORTABLE
 * task the running turn whose step it is, or that it runs the callbacks of (the turn travels
 * with the baton); the loop knows whose step it runs. This class is thread-safe.
 */
final class Scope {
    /** ContextVar values of plain threads (and of threads running work for a loop). */
    private static final ThreadLocal<Holder> PLAIN = new ThreadLocal<>();
    /**
     * Loops whose PORTABLE turn runs now (copy on write: few, and read on every lookup). A
     * PORTABLE task's thread is found as the task whose step one of them runs, so it never
     * touches a thread-local either.
     */
    private static volatile Loop[] portableTurns = new Loop[0];
    /**
     * A loop's callback values while the callback runs code in a {@link Holder} it entered
     * ({@link #callIn}): the values are then the thread's {@link #PLAIN} holder's. Compared by
     * identity, never read.
     */
    private static final Context IN_ENTERED_HOLDER = Context.distinctEmpty();

    private Scope() {
    }

    /**
     * A mutable slot for ContextVar values: a plain thread's own, or one that several tasks and
     * threads run in at once ({@link ContextVar.Context}). Thread-safe: a write is one atomic
     * step ({@link #put}, {@link #remove}), so writers sharing the slot lose none of each other's.
     */
    static class Holder {
        private static final VarHandle CONTEXT;

        static {
            try {
                CONTEXT = MethodHandles.lookup().findVarHandle(Holder.class, "context", Context.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The values now; null = empty. */
        volatile Context context;

        Holder(Context context) {
            this.context = context;
        }

        /** Sets {@code var} to {@code value} atomically; returns the values before. */
        final Context put(ContextVar<?> var, Object value) {
            Context before;
            do {
                before = context;
            } while (!CONTEXT.compareAndSet(this, before, Context.orEmpty(before).with(var, value)));
            return before;
        }

        /** Unsets {@code var} atomically; returns the values before. */
        final Context remove(ContextVar<?> var) {
            Context before;
            do {
                before = context;
            } while (!CONTEXT.compareAndSet(this, before, Context.orEmpty(before).without(var)));
            return before;
        }
    }

    // ---------------------------------------------------------------- loop side (turns and task threads)

    /** The calling thread took a PORTABLE turn of {@code loop}: that loop's task threads find it from now on. */
    static void portableTurnEntered(Loop loop) {
        changePortableTurns(loop, true);
    }

    static void portableTurnLeft(Loop loop) {
        changePortableTurns(loop, false);
    }

    private static synchronized void changePortableTurns(Loop loop, boolean add) {
        java.util.List<Loop> l = new java.util.ArrayList<>(java.util.Arrays.asList(portableTurns));
        if (add) {
            l.add(loop);
        } else {
            l.remove(loop);
        }
        portableTurns = l.toArray(new Loop[0]);
    }

    // ---------------------------------------------------------------- queries

    static Loop loop() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            Loop fast = taskLoop(t);
            if (fast != null) {
                return fast;
            }
            for (Loop loop : portableTurns) {
                LoopTasks.Entry e = loop.runningEntry();
                if (e != null && e.thread() == t || loop.loopThread() == t) {
                    return loop; // the task whose step runs, or a task's thread running the loop's callbacks
                }
            }
        }
        return RunningTurns.currentLoop();
    }

    /**
     * The loop of the FAST task whose thread {@code t} is, or null. A FAST task's thread runs
     * only as a step of its loop. A thread a task started inherits the task's executor as
     * scheduler but is not the task.
     */
    private static Loop taskLoop(Thread t) {
        return VirtualThreads.schedulerOf(t) instanceof LoopTasks.TaskScheduler ts && ts.entry().thread() == t
                ? ts.loop() : null;
    }

    /** The task whose step runs on this thread, or null. */
    static LoopTasks.Entry entry() {
        Loop loop = loop();
        if (loop == null) {
            return null;
        }
        LoopTasks.Entry e = loop.runningEntry();
        return e != null && e.thread() == Thread.currentThread() ? e : null;
    }

    /** The ContextVar values the calling code runs with (a task's, a callback's or a plain thread's); null = empty. */
    static Context context() {
        Loop loop = loop();
        if (loop != null) {
            LoopTasks.Entry e = loop.runningEntry();
            if (e != null && e.thread() == Thread.currentThread()) {
                return e.values();
            }
            Context c = loop.callbackContext();
            return c != IN_ENTERED_HOLDER ? c : PLAIN.get().context;
        }
        Holder h = PLAIN.get();
        return h == null ? null : h.context;
    }

    /** Replaces the calling code's ContextVar values; returns the owner of those values (for tokens). */
    static Object setContext(Context c) {
        Loop loop = loop();
        if (loop != null) {
            LoopTasks.Entry e = loop.runningEntry();
            if (e != null && e.thread() == Thread.currentThread()) {
                e.values(c);
                return e;
            }
            if (loop.callbackContext() != IN_ENTERED_HOLDER) {
                loop.callbackContext(c);
                return loop.callbackOwner();
            }
        }
        Holder h = PLAIN.get();
        if (h == null) {
            h = new Holder(c);
            PLAIN.set(h);
        } else {
            h.context = c;
        }
        return h;
    }

    /**
     * The owner of the calling code's ContextVar values: a task, the running callback (the loop
     * between callbacks), or a
     * {@link Holder} (a thread's own, or a shared one the calling task or thread runs in), whose
     * writes must then be its atomic ones.
     */
    static Object contextOwner() {
        Loop loop = loop();
        if (loop != null) {
            LoopTasks.Entry e = loop.runningEntry();
            if (e != null && e.thread() == Thread.currentThread()) {
                Holder shared = e.sharedValues();
                return shared != null ? shared : e;
            }
            if (loop.callbackContext() != IN_ENTERED_HOLDER) {
                return loop.callbackOwner();
            }
        }
        Holder h = PLAIN.get();
        if (h == null) {
            h = new Holder(null);
            PLAIN.set(h);
        }
        return h;
    }

    /**
     * Calls {@code work} on this thread, which runs no task (a plain thread, or a loop's thread in
     * a callback), with {@code values} as its ContextVar values: what it reads and writes is
     * {@code values}'s, until it returns. For a task, see {@code Task.enterContext}.
     */
    static <T> T callIn(Holder values, Callable<T> work) throws Exception {
        Loop loop = loop();
        Context callbackValues = loop == null ? null : loop.callbackContext();
        Holder prev = PLAIN.get();
        PLAIN.set(values);
        if (loop != null) {
            loop.callbackContext(IN_ENTERED_HOLDER);
        }
        try {
            return work.call();
        } finally {
            if (loop != null) {
                loop.callbackContext(callbackValues);
            }
            if (prev == null) {
                PLAIN.remove();
            } else {
                PLAIN.set(prev);
            }
        }
    }

    /** Runs {@code r} on this (non-loop) thread with {@code context} as its ContextVar values. */
    static void runWith(Context context, Runnable r) {
        Holder prev = PLAIN.get();
        PLAIN.set(new Holder(context));
        try {
            r.run();
        } finally {
            if (prev == null) {
                PLAIN.remove();
            } else {
                PLAIN.set(prev);
            }
        }
    }
}
