package io.loopbridge;

import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A result bound to one loop (asyncio.Future): pending, then done with a value, an
 * exception, or cancelled. Done-callbacks always run on the loop, in the order they were
 * added, and never inline inside {@code complete}.
 *
 * <p>It is also a {@link CompletionStage} (dependent stages are {@link CompletableFuture}s
 * completed on the loop thread; {@code *Async} variants without an executor run on the
 * loop) and a {@link Future} whose blocking {@link #get()} follows the one rule of
 * {@link Async#await}: it refuses, with {@link BlockingOnLoopException}, to block a loop thread.
 * {@code Async.await(future)} is the way to get the result with the original exception.
 *
 * <p>This class is thread-safe: it may be completed, cancelled and awaited from any thread.
 *
 * @param <T> the result type
 */
public class LoopFuture<T> extends CompletionStageView<T> implements Future<T> {

    /** An exceptional outcome. */
    static class Failure {
        final Throwable exception;

        Failure(Throwable exception) {
            this.exception = exception;
        }
    }

    /** A cancelled outcome; the one {@link CancelledException} every reader gets, made on first read. */
    static final class Cancelled extends Failure {
        final String message;
        private volatile CancelledException raised;

        Cancelled(String message) {
            super(null);
            this.message = message;
        }

        /** The exception a task ended with (so awaiting the task rethrows that very exception). */
        Cancelled(CancelledException e) {
            super(null);
            this.message = e.getMessage();
            this.raised = e;
        }

        CancelledException exception() {
            CancelledException e = raised;
            if (e == null) {
                e = new CancelledException(message);
                raised = e;
            }
            return e;
        }
    }

    /** The value of a future completed with null. */
    static final Object NIL = new Object();

    /** Notified on completion, inline, on the completing thread: must be quick and must not throw. */
    interface DoneListener {
        void futureDone(LoopFuture<?> future);
    }

    final Loop loop;
    private volatile Object outcome;
    /** Guarded by this: null, one DoneListener, or an ArrayList of them. */
    private Object listeners;
    /** Whether someone looked at the outcome; failures nobody read are reported. */
    volatile boolean retrieved;
    volatile FailureWatch watch;
    private CompletableFuture<T> view;

    LoopFuture(Loop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
    }

    /** The loop this future belongs to. */
    public EventLoop loop() {
        return loop.api();
    }

    // ---------------------------------------------------------------- state

    @Override
    public boolean isDone() {
        return outcome != null;
    }

    @Override
    public boolean isCancelled() {
        return outcome instanceof Cancelled;
    }

    /** True when done with an exception (not cancelled). */
    public boolean isCompletedExceptionally() {
        Object o = outcome;
        return o instanceof Failure && !(o instanceof Cancelled);
    }

    /**
     * The result.
     *
     * @throws IllegalStateException if not done yet
     * @throws CancelledException    if cancelled
     * @throws Exception             the exception it failed with, unwrapped
     */
    @SuppressWarnings("unchecked")
    public T result() throws Exception {
        Object o = outcome;
        if (o == null) {
            throw new IllegalStateException("result() of a pending future: " + this + "; await it instead");
        }
        return (T) reportOutcome(o);
    }

    /**
     * The exception it failed with, or null if it succeeded.
     *
     * @throws IllegalStateException if not done yet
     * @throws CancelledException    if cancelled
     */
    public Throwable exception() {
        Object o = outcome;
        if (o == null) {
            throw new IllegalStateException("exception() of a pending future: " + this);
        }
        markRetrieved();
        if (o instanceof Cancelled c) {
            throw Exceptions.withAwaitSite(c.exception());
        }
        return o instanceof Failure f ? f.exception : null;
    }

    /** Returns the value or throws the outcome's exception, unwrapped. Marks it retrieved. */
    final Object reportOutcome(Object o) throws Exception {
        markRetrieved();
        if (o instanceof Cancelled c) {
            throw c.exception();
        }
        if (o instanceof Failure f) {
            throw Exceptions.rethrow(f.exception);
        }
        return o == NIL ? null : o;
    }

    /**
     * The value of a done future, or its exception thrown unwrapped with the awaiting caller's
     * frames attached; a cancellation is thrown as it is.
     */
    final Object report(Object o) throws Exception {
        try {
            return reportOutcome(o);
        } catch (CancelledException e) {
            throw e;
        } catch (Exception e) {
            throw Exceptions.withAwaitSite(e);
        } catch (Error e) {
            throw Exceptions.withAwaitSite(e);
        }
    }

    final void markRetrieved() {
        retrieved = true;
        FailureWatch w = watch;
        if (w != null) {
            w.retrieved();
        }
    }

    final Object rawOutcome() {
        return outcome;
    }

    // ---------------------------------------------------------------- completing

    /** Completes with {@code value}; false if already done. Any thread. */
    public boolean complete(T value) {
        return setOutcome(value == null ? NIL : value);
    }

    /** Completes with {@code exception}; false if already done. Any thread. */
    public boolean completeExceptionally(Throwable exception) {
        Objects.requireNonNull(exception, "exception");
        if (exception instanceof CancelledException ce) {
            return setOutcome(new Cancelled(ce));
        }
        return setOutcome(new Failure(exception));
    }

    /**
     * Cancels with a message; false if already done (then, as in asyncio, a failure it holds
     * counts as seen and is not reported as never retrieved). Any thread. For a task and for a
     * gather, a call from another thread while the loop runs is carried out on the loop: it
     * returns true once the request is posted, the future may still finish otherwise (the
     * request then does nothing, and a failure it holds stays unread), and a gather's children
     * are cancelled there, shortly after.
     */
    public boolean cancel(String message) {
        if (isDone()) {
            markRetrieved();
            return false;
        }
        return setOutcome(new Cancelled(message));
    }

    /**
     * For a future whose cancel must run on its loop (a task, a gather): called from another
     * thread while the loop runs, posts {@code cancel(message)} there and returns true; false
     * (nothing done) on the loop or while no thread runs it. The posted cancel does nothing if
     * the future is done by then: a cancel of a done future counts as reading its failure,
     * which a request that merely arrived late must not do.
     */
    final boolean postedCancel(String message) {
        if (loop.inLoop() || loop.loopThread() == null) {
            return false;
        }
        loop.post(new Callback(() -> {
            if (!isDone()) {
                cancel(message);
            }
        }, null));
        return true;
    }

    /** Cancels without a message (asyncio's {@code cancel()}); false if already done. */
    public boolean cancel() {
        return cancel((String) null);
    }

    /** Cancels (the flag is ignored, as in CompletableFuture). */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return cancel((String) null);
    }

    final boolean setOutcome(Object o) {
        return setOutcome(o, null);
    }

    /** As {@link #setOutcome(Object)}; a failure shares {@code sharedWatch} (a relay's) if not null. */
    private boolean setOutcome(Object o, FailureWatch sharedWatch) {
        Object ls;
        FailureWatch w = null;
        synchronized (this) {
            if (outcome != null) {
                return false;
            }
            // Before the outcome is visible: whoever sees it done and relays it (asCompleted, wrap)
            // shares the watch, so it must exist by then, or the copy would start a second one.
            if (sharedWatch != null) {
                watch = w = sharedWatch;
            } else if (o instanceof Failure f && !(o instanceof Cancelled)) {
                w = watchUnread(f);
            }
            outcome = o;
            ls = listeners;
            listeners = null;
        }
        if (w != null && retrieved) {
            w.retrieved(); // read meanwhile, on another thread (markRetrieved found no watch yet)
        }
        if (ls instanceof ArrayList<?> list) {
            for (Object l : list) {
                ((DoneListener) l).futureDone(this);
            }
        } else if (ls != null) {
            ((DoneListener) ls).futureDone(this);
        }
        return true;
    }

    /**
     * Completes with {@code source}'s outcome (it must be done); false if already done. A failure
     * then counts as read once this future's is: reading this one marks {@code source} retrieved.
     * Loop thread.
     */
    final boolean relayOutcome(LoopFuture<?> source) {
        if (isDone()) {
            return false;
        }
        return setOutcome(source.rawOutcome(), source.watch); // false: cancelled from another thread meanwhile
    }

    /**
     * A future that takes its outcome from another ({@link Async#asCompleted}'s slots). The
     * watch it shares is run when the source is collected, so it keeps the source reachable: a
     * failure is not reported while this copy can still be read (a {@link Wrapper} holds its
     * source too).
     */
    static final class Relay<T> extends LoopFuture<T> {
        private LoopFuture<?> source;

        Relay(Loop loop) {
            super(loop);
        }

        /** {@link #relayOutcome}, keeping {@code from} if it took. */
        boolean take(LoopFuture<?> from) {
            if (!relayOutcome(from)) {
                return false;
            }
            source = from;
            return true;
        }
    }

    /**
     * A failure starts being watched, as asyncio's "exception was never retrieved": reported if
     * nobody reads it before this future is collected or its loop closes. Under this future's
     * lock, before the outcome is published.
     */
    private FailureWatch watchUnread(Failure f) {
        if (retrieved || watch != null || !reportsUnread()) {
            return null;
        }
        FailureWatch w = loop.tasks().watch(loop, this, describeFailed(), f.exception);
        watch = w;
        return w;
    }

    /**
     * What the report names, without the exception (the watch adds it when it reports: its
     * {@code toString} is the application's code, not to be run under this future's lock).
     */
    String describeFailed() {
        return "LoopFuture[loop=" + loop.name() + "]";
    }

    /** The exception this future failed with (not a cancellation), without counting as reading it; null otherwise. */
    final Throwable failureNow() {
        return outcome instanceof Failure f && !(f instanceof Cancelled) ? f.exception : null;
    }

    /**
     * Whether a failure nobody read is reported. False for the copy of a stage from outside the
     * library ({@link #wrap}): the stage's owner reads the failure there.
     */
    boolean reportsUnread() {
        return true;
    }

    // ---------------------------------------------------------------- listeners and callbacks

    /** Adds {@code l}, notified inline on completion; if already done, notifies it now. */
    final void addListener(DoneListener l) {
        synchronized (this) {
            if (outcome == null) {
                Object ls = listeners;
                if (ls == null) {
                    listeners = l;
                } else if (ls instanceof ArrayList<?> list) {
                    @SuppressWarnings("unchecked")
                    ArrayList<Object> all = (ArrayList<Object>) list;
                    all.add(l);
                } else {
                    ArrayList<Object> all = new ArrayList<>(4);
                    all.add(ls);
                    all.add(l);
                    listeners = all;
                }
                return;
            }
        }
        l.futureDone(this);
    }

    final void removeListener(DoneListener l) {
        synchronized (this) {
            Object ls = listeners;
            if (ls == l) {
                listeners = null;
            } else if (ls instanceof ArrayList<?> list) {
                list.remove(l);
            }
        }
    }

    /**
     * Runs {@code callback} on the loop once this future is done (at once if it already is),
     * with the ContextVar values of the caller. Any thread. Adding a callback does not count as
     * reading the outcome (as in asyncio): a failure the callback does not read (with
     * {@link #exception()}, {@link #get()}, ...) is still reported as never retrieved.
     */
    public void addDoneCallback(Consumer<? super LoopFuture<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        Context context = Scope.context();
        addListener(f -> loop.post(new Callback(new Runnable() {
            @Override
            public void run() {
                callback.accept(LoopFuture.this);
            }

            @Override
            public String toString() {
                return "done-callback " + callback + " of " + LoopFuture.this;
            }
        }, context)));
    }

    // ---------------------------------------------------------------- Future

    /**
     * Blocks until done, by the one rule: refuses on a loop thread with
     * {@link BlockingOnLoopException}; inside a task, suspends the task.
     */
    @Override
    public T get() throws InterruptedException, ExecutionException {
        try {
            return Waiting.get(this, -1);
        } catch (TimeoutException e) {
            throw new IllegalStateException("an untimed get() timed out", e); // cannot happen
        }
    }

    /** As {@link #get()}, for at most {@code timeout}; the future is left running on timeout. */
    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        return Waiting.get(this, Math.max(0, unit.toNanos(timeout)));
    }

    // ---------------------------------------------------------------- CompletionStage

    /**
     * A CompletableFuture completed, on the loop, with this future's outcome. Cancelling it
     * cancels this future (a task gets a cancellation request) and it reports cancelled once this
     * future is done, as asyncio chains a future to its copy both ways.
     */
    @Override
    public synchronized CompletableFuture<T> toCompletableFuture() {
        if (view == null) {
            CompletableFuture<T> cf = new View<>(this);
            view = cf;
            markRetrieved();
            // Complete on the loop so that dependent stages run there, never inside complete().
            addListener(f -> loop.post(new Callback(() -> copyTo(cf), null)));
        }
        return view;
    }

    /** The view of {@link #toCompletableFuture()}: thread-safe; its cancel goes to the source. */
    private static final class View<T> extends CompletableFuture<T> {
        private final LoopFuture<T> source;

        View(LoopFuture<T> source) {
            this.source = source;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            // The source's outcome, cancelled or not, reaches this view through copyTo.
            return !isDone() && source.cancel((String) null);
        }
    }

    @SuppressWarnings("unchecked")
    private void copyTo(CompletableFuture<T> cf) {
        Object o = outcome;
        if (o instanceof Cancelled c) {
            cf.completeExceptionally(c.exception());
        } else if (o instanceof Failure f) {
            cf.completeExceptionally(f.exception);
        } else {
            cf.complete(o == NIL ? null : (T) o);
        }
    }

    @Override
    final Executor asyncExecutor() {
        return loop.api();
    }

    // ---------------------------------------------------------------- on a loop

    /**
     * A future of {@code loop} that completes, on the loop, when {@code stage} does (on any
     * thread); a future of {@code loop} itself is returned as it is.
     */
    static <T> LoopFuture<T> wrap(Loop loop, CompletionStage<T> stage) {
        Objects.requireNonNull(stage, "stage");
        if (stage instanceof LoopFuture<T> lf && lf.loop == loop) {
            return lf;
        }
        LoopFuture<T> f = new Wrapper<>(loop, stage);
        if (stage instanceof LoopFuture<T> other) {
            // A future of another loop: listened to without reading it (whenComplete would go
            // through its CompletableFuture view, which counts as reading it); the copy shares its
            // watch, so reading either counts for both, and one nobody reads is still reported.
            other.addListener(done -> loop.post(new Callback(() -> f.relayOutcome(done), null)));
            return f;
        }
        stage.whenComplete((v, e) -> loop.post(new Callback(() -> {
            Throwable u = e == null ? null : Exceptions.unwrap(e);
            if (u instanceof CancellationException c && !(u instanceof CancelledException)) {
                f.cancel(c.getMessage()); // a cancelled source makes a cancelled copy, as asyncio's wrap_future
            } else if (u != null) {
                f.completeExceptionally(u);
            } else {
                f.complete(v);
            }
        }, null)));
        return f;
    }

    /** The future of {@link #wrap}: cancelling it cancels the stage it copies (asyncio chains them both ways). */
    private static final class Wrapper<T> extends LoopFuture<T> {
        private final CompletionStage<T> source;

        Wrapper(Loop loop, CompletionStage<T> source) {
            super(loop);
            this.source = source;
        }

        @Override
        boolean reportsUnread() {
            return false;
        }

        @Override
        public boolean cancel(String message) {
            if (!super.cancel(message)) {
                return false;
            }
            cancelStage(source, message);
            return true;
        }
    }

    /**
     * Cancels {@code stage} as far as its type allows (a stage that is no {@link Future} and has
     * no CompletableFuture view is left to finish on its own); true if that took effect. Any thread.
     */
    static boolean cancelStage(CompletionStage<?> stage, String message) {
        if (stage instanceof LoopFuture<?> lf) {
            return lf.cancel(message);
        }
        if (stage instanceof Future<?> f) {
            return f.cancel(false);
        }
        try {
            return stage.toCompletableFuture().cancel(false);
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Runs {@code loop} until {@code stage} is done; returns its result or throws its exception.
     * An interrupt of the running thread cancels the future; if it ends cancelled, this throws
     * {@link InterruptedException}.
     */
    static <T> T runUntilComplete(Loop loop, CompletionStage<T> stage) throws Exception {
        LoopFuture<T> f = wrap(loop, stage);
        // Stop as soon as it is done, even if it already is; removed when the run ends, so a future
        // that finishes after a stopped run cannot stop a later one (asyncio removes its done-callback).
        DoneListener stopper = done -> loop.post(new Callback(() -> loop.api().stop(), null));
        f.addListener(stopper);
        // asyncio.Runner: an interrupt cancels the main task; it becomes InterruptedException only when that
        // was the task's one cancellation request: cancel() took effect (the future was not done yet: an
        // interrupt can reach a PORTABLE loop late) and no other request was pending before it.
        boolean[] interruptCancelled = {false};
        boolean interrupted;
        try {
            interrupted = loop.runForever(() -> {
                int pendingBefore = f instanceof Task<?> t ? t.cancelling() : 0;
                if (f.cancel("interrupted") && !interruptCancelled[0]) {
                    interruptCancelled[0] = pendingBefore == 0;
                }
            });
        } finally {
            f.removeListener(stopper);
        }
        if (!f.isDone()) {
            throw new IllegalStateException("event loop '" + loop.name() + "' stopped before the future completed: " + f);
        }
        if (interrupted && interruptCancelled[0] && f.isCancelled()) {
            f.markRetrieved();
            InterruptedException ie = new InterruptedException("thread '" + Thread.currentThread().getName()
                    + "' was interrupted while running event loop '" + loop.name() + "'; " + f + " was cancelled");
            ie.initCause(((Cancelled) f.rawOutcome()).exception());
            throw ie;
        }
        return f.result();
    }

    // ---------------------------------------------------------------- diagnostics

    String stateName() {
        Object o = outcome;
        if (o == null) {
            return "pending";
        }
        if (o instanceof Cancelled) {
            return "cancelled";
        }
        if (o instanceof Failure f) {
            return "failed: " + f.exception;
        }
        return "done";
    }

    @Override
    public String toString() {
        return "LoopFuture[" + stateName() + ", loop=" + loop.name() + "]";
    }
}
