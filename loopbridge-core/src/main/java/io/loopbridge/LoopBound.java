package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * asyncio's {@code mixins._LoopBoundMixin}: a primitive binds to the loop it is first used
 * on, and from then on refuses calls from any thread that is not that loop's (its loop
 * thread or one of its tasks), naming both threads. Before it is bound, its non-waiting
 * methods may also be called from a thread that runs no loop (to fill a queue or set an
 * event before the loop starts); that binds nothing.
 */
abstract class LoopBound {
    private static final VarHandle LOOP;

    static {
        try {
            LOOP = MethodHandles.lookup().findVarHandle(LoopBound.class, "loop", Loop.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through LOOP
    private volatile Loop loop;

    /**
     * Checks the calling thread for a non-waiting method and binds on first use from a loop.
     * Returns the bound loop, or null while unbound and called from a thread outside any loop.
     */
    final Loop checkThread(String method) {
        Loop current = Loop.current();
        Loop bound = loop;
        if (bound == null) {
            if (current == null || LOOP.compareAndSet(this, null, current)) {
                return current;
            }
            bound = loop;
        }
        if (bound != current) {
            throw new IllegalStateException(confinementMessage(method, bound));
        }
        return bound;
    }

    /**
     * Checks the calling thread for a waiting method: it must be a task of the bound loop (or
     * of any loop, binding to it, while unbound). On the loop thread outside a task this
     * throws {@link BlockingOnLoopException}, as {@link Async#await} does.
     */
    final Task<?> checkTask(String method) {
        Loop current = Loop.current();
        if (current == null) {
            Loop bound = loop;
            if (bound != null) {
                throw new IllegalStateException(confinementMessage(method, bound));
            }
            throw new IllegalStateException(method + " called from thread '" + Thread.currentThread().getName()
                    + "', which runs no event loop: " + getClass().getSimpleName() + " is confined to one loop and"
                    + " waits only inside a task of it. Await it in a task (Async.run / loop.createTask), or use a"
                    + " BridgeQueue or java.util.concurrent between threads");
        }
        checkThread(method);
        return Waiting.enter(method);
    }

    private String confinementMessage(String method, Loop bound) {
        Thread loopThread = bound.loopThread();
        String where = loopThread == null ? "which is not running now" : "running in thread '" + loopThread.getName() + "'";
        Loop current = Loop.current();
        String caller = current != null ? " (of event loop '" + current.name() + "')" : "";
        return method + " called from thread '" + Thread.currentThread().getName() + "'" + caller + ", but this "
                + getClass().getSimpleName() + " is bound to event loop '" + bound.name() + "' " + where
                + ". Loop-bound primitives are confined to the loop they were first used on: from another thread"
                + " use loop.callSoonThreadsafe / Threads.runCoroutineThreadsafe, or a BridgeQueue";
    }

}
