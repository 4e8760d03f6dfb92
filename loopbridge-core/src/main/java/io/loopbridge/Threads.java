package io.loopbridge;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Bridges between a loop and other threads (asyncio's threads.py and
 * run_coroutine_threadsafe, anyio's to_thread): run blocking work off the loop and await it,
 * or run a task on a loop from any thread.
 *
 * <p>Every hop carries the caller's {@link ContextVar} values and SLF4J MDC. This class is
 * thread-safe.
 */
public final class Threads {
    /** What happens to blocking work when the task awaiting it is cancelled. */
    public enum CancelPolicy {
        /** The task is cancelled at once; the work runs on to its end (asyncio's default). */
        ABANDON,
        /** As ABANDON, and the worker thread is interrupted. */
        INTERRUPT,
        /**
         * The work runs to its end and the task waits for it; the cancellation is raised then
         * (anyio's {@code abandon_on_cancel=False}). For work that must not outlive its caller.
         */
        WAIT
    }

    /** Each loop's default limit on concurrent blocking work ({@code EventLoop.Builder.defaultThreadLimit}). */
    private static final LoopLocal<CapacityLimiter> DEFAULT_LIMITER =
            new LoopLocal<>(loop -> new CapacityLimiter(loop.defaultThreadLimit()));

    private Threads() {
    }

    /**
     * Runs blocking {@code work} on a worker thread under the loop's default
     * {@link CapacityLimiter} and awaits its result. Inside a task the task is suspended, so
     * the loop keeps running; on a plain thread the work simply runs there; on a loop thread
     * outside a task it is refused ({@link BlockingOnLoopException}).
     */
    public static <T> T toThread(Callable<T> work) throws Exception {
        return toThread(work, null, CancelPolicy.ABANDON);
    }

    /** As {@link #toThread(Callable)}, under {@code limiter} (e.g. sized to a connection pool). */
    public static <T> T toThread(Callable<T> work, CapacityLimiter limiter) throws Exception {
        return toThread(work, limiter, CancelPolicy.ABANDON);
    }

    /**
     * As {@link #toThread(Callable)}, with a limiter (null: the loop's default) and a
     * cancellation policy. Whatever the policy, the permit is released only when the work has
     * really finished. A task that is already cancelled does not start the work.
     */
    public static <T> T toThread(Callable<T> work, CapacityLimiter limiter, CancelPolicy policy) throws Exception {
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(policy, "policy");
        Task<?> task = Waiting.enter("Threads.toThread");
        if (task == null) {
            if (limiter == null) {
                return work.call();
            }
            limiter.acquire();
            try {
                return work.call();
            } finally {
                limiter.release();
            }
        }
        Loop loop = task.loop;
        CapacityLimiter lim = limiter != null ? limiter : DEFAULT_LIMITER.get(loop);
        task.checkCancelled();
        LoopEvents.ToThread event = new LoopEvents.ToThread();
        event.begin();
        long asked = event.isEnabled() ? System.nanoTime() : 0;
        lim.acquire();
        if (event.isEnabled()) {
            event.permitWait = System.nanoTime() - asked;
        }
        LoopFuture<T> f = new LoopFuture<>(loop);
        AtomicReference<Thread> worker = policy == CancelPolicy.INTERRUPT ? new AtomicReference<>() : null;
        CarriedContext carried = CarriedContext.capture();
        Runnable job = () -> carried.run(() -> {
            if (worker != null) {
                worker.set(Thread.currentThread());
            }
            try {
                if (f.isDone()) {
                    return; // cancelled while queued: as asyncio, work that never started never runs
                }
                f.complete(work.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            } finally {
                if (worker != null) {
                    worker.set(null);
                    Thread.interrupted();
                }
                lim.release();
            }
        });
        try {
            loop.defaultExecutor().execute(job);
        } catch (RuntimeException e) {
            lim.release();
            throw e;
        }
        try {
            return awaitWork(task, f, policy, worker);
        } finally {
            event.end();
            if (event.shouldCommit()) {
                event.loop = loop.name();
                event.task = task.name();
                event.commit();
            }
        }
    }

    private static <T> T awaitWork(Task<?> task, LoopFuture<T> f, CancelPolicy policy, AtomicReference<Thread> worker)
            throws Exception {
        try {
            // WAIT: a cancellation must not cancel f (the work's outcome), only the wait for it.
            return task.await(policy == CancelPolicy.WAIT ? Async.shield(f) : f);
        } catch (CancelledException | java.util.concurrent.TimeoutException e) {
            if (worker != null) {
                Thread w = worker.get();
                if (w != null) {
                    w.interrupt();
                }
            }
            if (policy == CancelPolicy.WAIT) {
                awaitUncancellably(task, f);
            }
            throw e;
        }
    }

    /** Waits until {@code f} is done; cancellations that arrive meanwhile stay pending for the caller. */
    private static void awaitUncancellably(Task<?> task, LoopFuture<?> f) {
        while (!f.isDone()) {
            try {
                task.await(Async.shield(f));
            } catch (Exception again) {
                // Still cancelled: the work must end first; the caller raises the first cancellation.
            }
        }
        // The caller raises its cancellation; the work's outcome is dropped on purpose (asyncio's
        // to_thread drops it too), not left unread to be reported as never retrieved.
        f.markRetrieved();
    }

    /** Runs {@code work} on {@code executor} (e.g. a ForkJoinPool for CPU-bound work) and awaits it. */
    public static <T> T runInExecutor(Executor executor, Callable<T> work) throws Exception {
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(work, "work");
        Task<?> task = Waiting.enter("Threads.runInExecutor");
        if (task == null) {
            CarriedContext carried = CarriedContext.capture();
            CompletableFuture<T> cf = new CompletableFuture<>();
            executor.execute(() -> {
                try {
                    cf.complete(carried.call(work));
                } catch (Throwable e) {
                    cf.completeExceptionally(e);
                }
            });
            return Async.await(cf);
        }
        return task.await(runOn(task.loop, executor, work));
    }

    /**
     * {@link EventLoop#runInExecutor}: runs {@code work} on {@code executor} (the loop's default
     * when null) with the caller's context, and returns a future of {@code loop} for its result.
     */
    static <T> LoopFuture<T> runOn(Loop loop, Executor executor, Callable<T> work) {
        Objects.requireNonNull(work, "work");
        Executor ex = executor != null ? executor : loop.defaultExecutor();
        LoopFuture<T> f = new LoopFuture<>(loop);
        CarriedContext carried = CarriedContext.capture();
        ex.execute(() -> {
            // Completed here (a LoopFuture completes from any thread; its callbacks still run on
            // the loop), not through a post: a loop closed meanwhile would drop the post, and a
            // plain thread waiting in get() would wait forever.
            try {
                f.complete(carried.call(work));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * asyncio.run_coroutine_threadsafe: runs {@code body} as a task of {@code loop} (from any
     * thread) in a copy of the caller's context, and returns a future of its outcome.
     *
     * <p>{@code cancel()} on the returned future cancels the task; the future reports
     * cancelled only once the task has actually finished its cleanup (so, unlike a plain
     * {@code Future}, {@code isDone()} may stay false for a moment after {@code cancel}
     * returned true; if the task swallows the cancellation, the future gets its result).
     * {@code get()}/{@code join()} follow the one rule: on a loop thread they throw
     * {@link BlockingOnLoopException}; inside a task they suspend it.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the loop is closed
     */
    public static <T> CompletableFuture<T> runCoroutineThreadsafe(Callable<T> body, EventLoop loop) {
        return runCoroutineThreadsafe(null, body, loop);
    }

    /** As {@link #runCoroutineThreadsafe(Callable, EventLoop)}, naming the task ({@link Task#name()}). */
    public static <T> CompletableFuture<T> runCoroutineThreadsafe(String name, Callable<T> body, EventLoop loop) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(loop, "loop");
        ThreadsafeFuture<T> out = new ThreadsafeFuture<>(loop);
        // The caller's MDC goes into the task (its ContextVar values travel with the callback).
        CarriedContext carried = CarriedContext.capture();
        loop.callSoonThreadsafe(carried.wrap(() -> {
            Task<T> task;
            try {
                task = loop.createTask(name, body);
            } catch (RuntimeException e) {
                // The loop began closing after accepting this callback.
                out.completeExceptionally(new java.util.concurrent.RejectedExecutionException(e.getMessage(), e));
                return;
            }
            out.start(task);
        }));
        return out;
    }
}
