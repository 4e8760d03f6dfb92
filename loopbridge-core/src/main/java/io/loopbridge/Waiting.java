package io.loopbridge;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one rule, decided here and nowhere else: a wait inside a task suspends the task, a
 * wait on a plain thread blocks it, and a wait on a loop thread outside any task (ours, or
 * Netty's, Vert.x's, Reactor's — {@link ForeignEventLoops} — or one a
 * {@link NonBlockingThreadDetector} names) is refused at once, since it would stall the loop and could never
 * end. Every blocking entry point of the library asks {@link #enter}; the waits themselves
 * are {@link Waiter}s. Thread-safe (stateless).
 */
final class Waiting {
    private static final List<NonBlockingThreadDetector> DETECTORS = loadDetectors();

    private Waiting() {
    }

    private static List<NonBlockingThreadDetector> loadDetectors() {
        List<NonBlockingThreadDetector> list = new ArrayList<>();
        try {
            for (NonBlockingThreadDetector d : ServiceLoader.load(NonBlockingThreadDetector.class,
                    Waiting.class.getClassLoader())) {
                list.add(d);
            }
        } catch (java.util.ServiceConfigurationError e) {
            org.slf4j.LoggerFactory.getLogger(Waiting.class).warn("a NonBlockingThreadDetector failed to load", e);
        }
        return List.copyOf(list);
    }

    /**
     * The one rule. Returns the calling task, which will suspend, or null when the calling
     * thread may block.
     *
     * @param what the operation, for the message
     * @throws BlockingOnLoopException on a loop thread outside any task, or a foreign event-loop thread
     */
    static Task<?> enter(String what) {
        Task<?> task = Task.currentOrNull();
        if (task != null) {
            return task;
        }
        Loop loop = Loop.current();
        if (loop != null) {
            throw refused(what, loop, what + " called on the thread of event loop '" + loop.name()
                    + "' (" + Thread.currentThread().getName() + ") outside any task: blocking here would stall the loop"
                    + " and could never end. Run the code in a task (loop.createTask / Async.spawn) and await there,"
                    + " or add a done-callback instead of waiting");
        }
        try {
            ForeignEventLoops.checkMayBlock(what); // Netty, Vert.x, Reactor: built in, before any provider
        } catch (BlockingOnLoopException e) {
            LoopEvents.refused(what, null, e.getMessage());
            throw e;
        }
        Thread t = Thread.currentThread();
        String kind = foreignKind(t);
        if (kind != null) {
            throw refused(what, null, what + " called on " + kind + " thread '" + t.getName()
                    + "': blocking an event-loop thread stalls every connection it serves and can deadlock."
                    + " Compose with the returned future instead, or move the blocking call to a worker thread");
        }
        return null;
    }

    private static BlockingOnLoopException refused(String what, Loop loop, String message) {
        LoopEvents.refused(what, loop, message);
        return new BlockingOnLoopException(message);
    }

    private static String foreignKind(Thread t) {
        for (NonBlockingThreadDetector d : DETECTORS) {
            String k = d.nonBlockingKind(t);
            if (k != null) {
                return k;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- awaiting a stage

    /** Waits for {@code stage} by the one rule; returns its result or throws its exception, unwrapped. */
    static <T> T await(CompletionStage<T> stage, String what) throws Exception {
        Task<?> task = enter(what);
        if (task != null) {
            return task.await(stage);
        }
        return block(stage, -1);
    }

    /**
     * Waits at most {@code nanos} (a task measures them on its loop's clock). On timeout a
     * task's wait ends with {@link TimeoutException}; {@code cancelOnTimeout} also cancels the
     * stage and, in a task, waits for it to finish (asyncio.wait_for).
     */
    static <T> T await(CompletionStage<T> stage, long nanos, boolean cancelOnTimeout, String what) throws Exception {
        Task<?> task = enter(what);
        if (task == null) {
            try {
                return block(stage, nanos);
            } catch (TimeoutException e) {
                if (cancelOnTimeout) {
                    LoopFuture.cancelStage(stage, null);
                }
                throw e;
            }
        }
        Loop loop = task.loop;
        if (!cancelOnTimeout) {
            stage = Async.shield(stage); // Future.get(timeout): a timeout leaves the future alone
        } else if (nanos <= 0) {
            if (!(stage instanceof LoopFuture) && asCompletableFuture(stage).isDone()) {
                // Done already: its outcome at once (asyncio's wait_for(done, 0)), before the loop's
                // copy, which hears of it only in a callback, would be cancelled in its place.
                return task.await(stage);
            }
            return cancelAndWait(task, LoopFuture.wrap(loop, stage));
        }
        try (Timeout t = Timeout.at(task, TimerHeap.after(loop.time(), nanos))) {
            return task.await(stage);
        }
    }

    /** asyncio.wait_for with a timeout <= 0: a pending future is cancelled before anything else runs. */
    @SuppressWarnings("unchecked")
    private static <T> T cancelAndWait(Task<?> task, LoopFuture<T> f) throws Exception {
        if (!f.isDone()) {
            // Woken when f is done, whatever its outcome: the wait raises nothing but the waiting
            // task's own cancellation, which propagates even if f finished meanwhile.
            Waiter w = Waiter.forTask(task);
            LoopFuture.DoneListener onDone = x -> w.wake();
            f.addListener(onDone);
            try {
                f.cancel();
                w.await(Long.MAX_VALUE);
            } finally {
                f.removeListener(onDone);
            }
        }
        Object o = f.rawOutcome();
        if (o instanceof LoopFuture.Cancelled c) {
            f.markRetrieved();
            TimeoutException te = new TimeoutException("timed out: Async.waitFor with a zero or negative timeout");
            te.initCause(c.exception());
            throw te;
        }
        return (T) f.report(o);
    }

    /** {@link java.util.concurrent.Future#get}'s contract over {@link #await}: failures wrapped in ExecutionException. */
    static <T> T get(LoopFuture<T> f, long nanos) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return nanos < 0 ? await(f, "Future.get") : await(f, nanos, false, "Future.get");
        } catch (InterruptedException | TimeoutException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new ExecutionException(e);
        }
    }

    /** Blocks a plain thread until {@code stage} completes, or {@code nanos} pass (if >= 0). */
    @SuppressWarnings("unchecked")
    private static <T> T block(CompletionStage<T> stage, long nanos) throws Exception {
        if (stage instanceof LoopFuture<T> lf) {
            Object o = lf.rawOutcome();
            if (o == null) {
                Waiter w = new Waiter.OfThread("Async.await of " + lf);
                LoopFuture.DoneListener l = f -> w.wake();
                lf.addListener(l);
                boolean woken;
                try {
                    woken = w.await(nanos < 0 ? Long.MAX_VALUE : System.nanoTime() + nanos);
                } catch (InterruptedException e) {
                    lf.removeListener(l);
                    throw e;
                }
                if (!woken) {
                    lf.removeListener(l);
                    throw new TimeoutException("timed out after " + TimeUnit.NANOSECONDS.toMillis(nanos)
                            + " ms waiting for " + lf);
                }
                o = lf.rawOutcome();
            }
            return (T) lf.report(o);
        }
        CompletableFuture<T> cf = asCompletableFuture(stage);
        long deadline = nanos < 0 ? Long.MAX_VALUE : System.nanoTime() + nanos;
        if (!(cf instanceof ThreadsafeFuture) && !cf.isDone()) {
            // CompletableFuture.get parks at once; a reply from a loop comes within microseconds.
            // (A ThreadsafeFuture's own get polls first: not twice.)
            BriefSpin.until(cf::isDone, deadline);
        }
        try {
            return nanos < 0 ? cf.get() : cf.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (CancellationException e) {
            throw Exceptions.originalCancellation(e);
        } catch (ExecutionException e) {
            throw Exceptions.withAwaitSite(Exceptions.rethrow(e.getCause()));
        } catch (InterruptedException e) {
            InterruptedException ie = new InterruptedException("interrupted while waiting for " + stage + " in thread '"
                    + Thread.currentThread().getName() + "'");
            ie.setStackTrace(e.getStackTrace());
            throw ie;
        }
    }

    static <T> CompletableFuture<T> asCompletableFuture(CompletionStage<T> stage) {
        if (stage instanceof CompletableFuture<T> cf) {
            return cf;
        }
        try {
            return stage.toCompletableFuture();
        } catch (UnsupportedOperationException e) {
            CompletableFuture<T> cf = new CompletableFuture<>();
            stage.whenComplete((v, ex) -> {
                if (ex != null) {
                    cf.completeExceptionally(Exceptions.unwrap(ex));
                } else {
                    cf.complete(v);
                }
            });
            return cf;
        }
    }

    /** Result of a done CompletableFuture; its exception unwrapped. */
    static <T> T joinUnwrapped(CompletableFuture<T> cf) throws Exception {
        try {
            return cf.join();
        } catch (CompletionException e) {
            throw Exceptions.withAwaitSite(Exceptions.rethrow(Exceptions.unwrap(e)));
        } catch (CancellationException e) {
            throw Exceptions.originalCancellation(e);
        }
    }
}
