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
import java.util.concurrent.locks.LockSupport;

/**
 * The one rule, in one place: how a wait behaves on a task, a plain thread, a loop thread
 * and a foreign event-loop thread; and how exceptions come out of it (unwrapped, with the
 * awaiting caller's frames attached as a suppressed {@link AwaitSite}).
 */
final class Awaiting {
    private static final List<NonBlockingThreadDetector> DETECTORS = loadDetectors();

    private Awaiting() {
    }

    private static List<NonBlockingThreadDetector> loadDetectors() {
        List<NonBlockingThreadDetector> list = new ArrayList<>();
        try {
            for (NonBlockingThreadDetector d : ServiceLoader.load(NonBlockingThreadDetector.class,
                    Awaiting.class.getClassLoader())) {
                list.add(d);
            }
        } catch (java.util.ServiceConfigurationError e) {
            org.slf4j.LoggerFactory.getLogger(Awaiting.class).warn("a NonBlockingThreadDetector failed to load", e);
        }
        return List.copyOf(list);
    }


    /**
     * Refuses to block a loop thread (ours or a foreign framework's) with a message that says
     * what to do instead.
     */
    static void checkMayBlock(String what, Scope s) {
        if (s != null && s.loop != null && s.task == null) {
            throw new BlockingOnLoopException(what + " called on the thread of event loop '" + s.loop.name()
                    + "' (" + Thread.currentThread().getName() + ") outside any task: blocking here would stall the loop"
                    + " and could never end. Run the code in a task (loop.createTask / Async.spawn) and await there,"
                    + " or add a done-callback instead of waiting");
        }
        ForeignEventLoops.checkMayBlock(what); // Netty, Vert.x, Reactor: built in, before any provider
        Thread t = Thread.currentThread();
        String kind = foreignKind(t);
        if (kind != null) {
            throw new BlockingOnLoopException(what + " called on " + kind + " thread '" + t.getName()
                    + "': blocking an event-loop thread stalls every connection it serves and can deadlock."
                    + " Compose with the returned future instead, or move the blocking call to a worker thread");
        }
    }

    static void checkMayBlock(String what) {
        checkMayBlock(what, Scope.current());
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

    /** Blocks a plain thread until {@code stage} completes, or {@code nanos} pass (if >= 0). */
    @SuppressWarnings("unchecked")
    static <T> T block(CompletionStage<T> stage, long nanos) throws Exception {
        if (stage instanceof LoopFuture<T> lf) {
            Object o = lf.rawOutcome();
            if (o == null) {
                Thread me = Thread.currentThread();
                LoopFuture.Waiter w = new LoopFuture.Waiter() {
                    @Override
                    void fire(LoopFuture<?> f) {
                        LockSupport.unpark(me);
                    }
                };
                lf.addWaiter(w);
                long deadline = nanos >= 0 ? System.nanoTime() + nanos : 0;
                while ((o = lf.rawOutcome()) == null) {
                    if (nanos < 0) {
                        LockSupport.park(lf);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            lf.removeWaiter(w);
                            throw new TimeoutException("timed out after " + TimeUnit.NANOSECONDS.toMillis(nanos)
                                    + " ms waiting for " + lf);
                        }
                        LockSupport.parkNanos(lf, left);
                    }
                    if (Thread.interrupted()) {
                        lf.removeWaiter(w);
                        throw new InterruptedException("interrupted while waiting for " + lf + " in thread '"
                                + me.getName() + "'");
                    }
                }
            }
            return (T) report(lf, o);
        }
        CompletableFuture<T> cf = asCompletableFuture(stage);
        try {
            return nanos < 0 ? cf.get() : cf.get(nanos, TimeUnit.NANOSECONDS);
        } catch (CancellationException e) {
            throw originalCancellation(e);
        } catch (ExecutionException e) {
            throw withAwaitSite(rethrow(e.getCause()));
        } catch (InterruptedException e) {
            InterruptedException ie = new InterruptedException("interrupted while waiting for " + stage + " in thread '"
                    + Thread.currentThread().getName() + "'");
            ie.setStackTrace(e.getStackTrace());
            throw ie;
        }
    }

    static <T> T awaitWithTimeout(CompletionStage<T> stage, long nanos, boolean cancelOnTimeout) throws Exception {
        Scope s = Scope.current();
        if (s != null && s.task != null) {
            if (!cancelOnTimeout) {
                // Future.get(timeout): a timeout leaves the future alone.
                stage = Async.shield(stage);
            } else if (nanos <= 0) {
                return cancelAndWait(s.task, s.loop.wrap(stage));
            }
            try (Timeout t = Timeout.at(s.task, s.loop.time() + nanos)) {
                return s.task.await(stage);
            }
        }
        checkMayBlock("a timed wait", s);
        try {
            return block(stage, nanos);
        } catch (TimeoutException e) {
            if (cancelOnTimeout) {
                cancel(stage);
            }
            throw e;
        }
    }

    /** asyncio.wait_for with a timeout <= 0: a pending future is cancelled before anything else runs. */
    @SuppressWarnings("unchecked")
    private static <T> T cancelAndWait(Task<?> task, LoopFuture<T> f) throws Exception {
        if (!f.isDone()) {
            f.cancel();
            try {
                task.await(Async.shield(f));
            } catch (Exception e) {
                if (!f.isDone()) {
                    throw e; // the waiting task itself was cancelled
                }
            }
        }
        Object o = f.rawOutcome();
        if (o instanceof LoopFuture.Cancelled c) {
            f.markRetrieved();
            TimeoutException te = new TimeoutException("timed out: Async.waitFor with a zero or negative timeout");
            te.initCause(new CancelledException(c.message));
            throw te;
        }
        return (T) report(f, o);
    }

    static void cancel(CompletionStage<?> stage) {
        if (stage instanceof java.util.concurrent.Future<?> f) {
            f.cancel(false);
        } else {
            try {
                stage.toCompletableFuture().cancel(false);
            } catch (UnsupportedOperationException ignored) {
                // A stage that cannot be cancelled: it is left to finish on its own.
            }
        }
    }

    /** Value of a done loop future, or its exception thrown unwrapped with the await site attached. */
    static Object report(LoopFuture<?> lf, Object outcome) throws Exception {
        try {
            return lf.reportOutcome(outcome);
        } catch (CancellationException e) {
            throw e;
        } catch (Exception e) {
            throw withAwaitSite(e);
        } catch (Error e) {
            throw withAwaitSite(e);
        }
    }

    @SuppressWarnings("unchecked")
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
                    cf.completeExceptionally(unwrap(ex));
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
            throw withAwaitSite(rethrow(unwrap(e)));
        } catch (CancellationException e) {
            throw originalCancellation(e);
        }
    }

    /**
     * The cancellation a CompletableFuture was completed with: its {@code get}/{@code join}
     * throw a new CancellationException whose cause is the original (JDK 23+); a
     * {@link CancelledException} with its message is what the awaiter should see.
     */
    static CancellationException originalCancellation(CancellationException e) {
        CancellationException c = e;
        for (Throwable t = e.getCause(); t instanceof CancellationException ce; t = t.getCause()) {
            c = ce;
            if (ce instanceof CancelledException) {
                return ce;
            }
        }
        return c;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The exception to throw for {@code t}: itself if an Exception; Errors are thrown directly. */
    static Exception rethrow(Throwable t) {
        if (t instanceof Error err) {
            throw err;
        }
        if (t instanceof Exception e) {
            return e;
        }
        return new ExecutionException("non-Exception throwable: " + t, t);
    }

    static <E extends Throwable> E withAwaitSite(E e) {
        if (e instanceof CancellationException || e instanceof VirtualMachineError) {
            return e;
        }
        for (Throwable s : e.getSuppressed()) {
            if (s instanceof AwaitSite a && a.thread == Thread.currentThread()) {
                return e;
            }
        }
        e.addSuppressed(new AwaitSite());
        return e;
    }

    /** Carries the awaiting caller's frames, attached to a rethrown exception as suppressed. */
    static final class AwaitSite extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Thread thread = Thread.currentThread();

        AwaitSite() {
            super("awaited here, in thread '" + Thread.currentThread().getName() + "'");
        }
    }
}
