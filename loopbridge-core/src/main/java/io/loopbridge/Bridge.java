package io.loopbridge;

import io.loopbridge.internal.InspectableLoop;
import io.loopbridge.internal.OpenLoops;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An honest "run this async code" helper, without nest_asyncio's re-entrant loops: run loop-using code from wherever you
 * are and get its result.
 *
 * <ul>
 *   <li>On a plain thread with no loop, {@link #runSync} runs the body as a task of a loop
 *       cached for this thread (not a new loop per call: a client created in one call still
 *       works in the next). The loop is closed when the thread ends, or by
 *       {@link #closeThreadLoop()}.</li>
 *   <li>Inside a task, the body simply runs inline in the current task: it may await, and the
 *       loop keeps running its other tasks meanwhile.</li>
 *   <li>On a loop thread outside any task, or a foreign event-loop thread, it throws
 *       {@link BlockingOnLoopException} — unless called with {@link OnLoop#RUN_IN_WORKER},
 *       which runs the body on a fresh loop in a worker thread and logs how long it blocked
 *       (a last resort for code that cannot be changed).</li>
 * </ul>
 *
 * <p>This class is thread-safe.
 */
public final class Bridge {
    private static final Logger log = LoggerFactory.getLogger(Bridge.class);
    private static final Cleaner CLEANER = FailureWatch.CLEANER;
    private static final ThreadLocal<ThreadLoop> THREAD_LOOP = new ThreadLocal<>();

    /** What {@link #runSync(Callable, OnLoop)} does when called where it must not block. */
    public enum OnLoop {
        /** Throw {@link BlockingOnLoopException} (the default). */
        REFUSE,
        /**
         * Block this thread while a worker thread runs the body on a fresh loop; logged. An
         * interrupt of the blocked thread is passed to the worker, whose loop cancels the body
         * (as {@link Async#run} on an interrupted thread): the call then throws
         * {@link InterruptedException}.
         */
        RUN_IN_WORKER
    }

    private Bridge() {
    }

    /** The per-thread loop and the Cleaner registration that closes it when the thread is gone. */
    private static final class ThreadLoop implements Runnable {
        final EventLoop loop;
        Cleaner.Cleanable cleanable;

        ThreadLoop(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        public void run() {
            try {
                loop.close();
            } catch (RuntimeException e) {
                log.warn("closing the cached loop of a finished thread failed", e);
            }
        }
    }

    /** Runs {@code body} by the rules above; exceptions come out unwrapped. */
    public static <T> T runSync(Callable<T> body) throws Exception {
        return runSync(body, OnLoop.REFUSE);
    }

    /** As {@link #runSync(Callable)}, choosing what happens on a loop thread. */
    public static <T> T runSync(Callable<T> body, OnLoop onLoop) throws Exception {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(onLoop, "onLoop");
        Task<?> task;
        try {
            task = Waiting.enter("Bridge.runSync");
        } catch (BlockingOnLoopException e) {
            if (onLoop == OnLoop.REFUSE) {
                throw e;
            }
            return runInWorker(body);
        }
        if (task != null) {
            return body.call(); // inside a task: inline (what it throws is its own, never a reason to run it again)
        }
        EventLoop loop = threadLoop();
        return loop.runUntilComplete(loop.createTask(body));
    }

    private static EventLoop threadLoop() {
        ThreadLoop tl = THREAD_LOOP.get();
        if (tl == null || tl.loop.isClosed()) {
            Thread me = Thread.currentThread();
            EventLoop.Builder b = EventLoop.builder().name("runSync-" + me.getName());
            if (me.isVirtual()) {
                b.taskMode(TaskMode.PORTABLE);
            }
            tl = new ThreadLoop(b.build());
            OpenLoops.keptForItsThread((InspectableLoop) tl.loop);
            tl.cleanable = CLEANER.register(me, tl);
            THREAD_LOOP.set(tl);
        }
        return tl.loop;
    }

    /** Closes this thread's cached loop now (cancelling what it still runs); a later call makes a new one. */
    public static void closeThreadLoop() {
        ThreadLoop tl = THREAD_LOOP.get();
        if (tl != null) {
            THREAD_LOOP.remove();
            tl.cleanable.clean();
        }
    }

    private static <T> T runInWorker(Callable<T> body) throws Exception {
        long t0 = System.nanoTime();
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread worker = Thread.ofPlatform().name("runSync-worker").start(() -> {
            try {
                result[0] = Async.run(body);
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                if (!interrupted) {
                    worker.interrupt(); // its loop cancels the body's task, which ends the worker
                }
                interrupted = true;
            }
        }
        if (interrupted && !(failure[0] instanceof InterruptedException)) {
            Thread.currentThread().interrupt(); // else the InterruptedException below reports it
        }
        log.warn("Bridge.runSync blocked thread '{}' for {} ms running the body on a worker loop (OnLoop.RUN_IN_WORKER)",
                Thread.currentThread().getName(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        if (failure[0] != null) {
            throw Exceptions.rethrow(failure[0]);
        }
        @SuppressWarnings("unchecked")
        T r = (T) result[0];
        return r;
    }
}
