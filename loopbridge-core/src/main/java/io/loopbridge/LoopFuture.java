package io.loopbridge;

import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

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
public class LoopFuture<T> implements CompletionStage<T>, Future<T> {

    /** An exceptional outcome. */
    static class Failure {
        final Throwable exception;

        Failure(Throwable exception) {
            this.exception = exception;
        }
    }

    /** A cancelled outcome: the exception is created lazily by the reader. */
    static final class Cancelled extends Failure {
        final String message;

        Cancelled(String message) {
            super(null);
            this.message = message;
        }
    }

    static final Object NIL = new Object();

    /** Something to notify on completion; {@link #fire} must be quick and must not throw. */
    abstract static class Waiter {
        abstract void fire(LoopFuture<?> future);
    }

    final SelectorEventLoop loop;
    private volatile Object outcome;
    /** Guarded by this: null, one Waiter, or an ArrayList of them. */
    private Object waiters;
    /** Whether someone looked at the outcome; failures nobody read are reported. */
    volatile boolean retrieved;
    volatile FailureWatch watch;
    private CompletableFuture<T> view;

    LoopFuture(SelectorEventLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
    }

    /** The loop this future belongs to. */
    public EventLoop loop() {
        return loop;
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
            throw new CancelledException(c.message);
        }
        return o instanceof Failure f ? f.exception : null;
    }

    /** Returns the value or throws the outcome's exception, unwrapped. Marks it retrieved. */
    final Object reportOutcome(Object o) throws Exception {
        markRetrieved();
        if (o instanceof Failure f) {
            if (f instanceof Cancelled c) {
                throw new CancelledException(c.message);
            }
            throw Awaiting.rethrow(f.exception);
        }
        return o == NIL ? null : o;
    }

    final void markRetrieved() {
        retrieved = true;
        FailureWatch w = watch;
        if (w != null) {
            w.retrieved = true;
            loop.unwatch(w);
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
            return setOutcome(new Cancelled(ce.getMessage()));
        }
        return setOutcome(new Failure(exception));
    }

    /**
     * Cancels with a message; false if already done (then, as in asyncio, a failure it holds
     * counts as seen and is not reported as never retrieved). Any thread.
     */
    public boolean cancel(String message) {
        if (isDone()) {
            markRetrieved();
            return false;
        }
        return setOutcome(new Cancelled(message));
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
        Object ws;
        synchronized (this) {
            if (outcome != null) {
                return false;
            }
            outcome = o;
            ws = waiters;
            waiters = null;
        }
        if (ws instanceof ArrayList<?> list) {
            for (Object w : list) {
                fire(w);
            }
        } else if (ws != null) {
            fire(ws);
        }
        onDone(o);
        return true;
    }

    /** A waiter is a {@link Waiter}, or a task parked on this future (no wrapper object per await). */
    private void fire(Object w) {
        if (w instanceof Task<?> t) {
            t.loop.carrier().resume(t);
        } else {
            ((Waiter) w).fire(this);
        }
    }

    /** Hook for subclasses, called once after the outcome is set. */
    void onDone(Object o) {
        if (o instanceof Failure f && !(o instanceof Cancelled) && !retrieved) {
            loop.watchUnretrieved(this, f.exception);
        }
    }

    // ---------------------------------------------------------------- waiters and callbacks

    /** Adds {@code w}; if already done, fires it now. */
    final void addWaiter(Waiter w) {
        addWaiterObject(w);
    }

    /** Adds a task parked on this future: resumed on completion. */
    final void addWaitingTask(Task<?> t) {
        addWaiterObject(t);
    }

    private void addWaiterObject(Object w) {
        synchronized (this) {
            if (outcome == null) {
                Object ws = waiters;
                if (ws == null) {
                    waiters = w;
                } else if (ws instanceof ArrayList<?> l) {
                    @SuppressWarnings("unchecked")
                    ArrayList<Object> list = (ArrayList<Object>) l;
                    list.add(w);
                } else {
                    ArrayList<Object> list = new ArrayList<>(4);
                    list.add(ws);
                    list.add(w);
                    waiters = list;
                }
                return;
            }
        }
        fire(w);
    }

    final void removeWaiter(Object w) {
        synchronized (this) {
            Object ws = waiters;
            if (ws == w) {
                waiters = null;
            } else if (ws instanceof ArrayList<?> list) {
                list.remove(w);
            }
        }
    }

    /**
     * Runs {@code callback} on the loop once this future is done (at once if it already is),
     * with the ContextVar values of the caller. Any thread.
     */
    public void addDoneCallback(Consumer<? super LoopFuture<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        markRetrieved();
        addWaiter(new ScheduledCallback<>(callback, Scope.currentContext()));
    }

    private static final class ScheduledCallback<T> extends Waiter {
        private final Consumer<? super LoopFuture<T>> callback;
        private final Context context;

        ScheduledCallback(Consumer<? super LoopFuture<T>> callback, Context context) {
            this.callback = callback;
            this.context = context;
        }

        @Override
        @SuppressWarnings("unchecked")
        void fire(LoopFuture<?> future) {
            LoopFuture<T> f = (LoopFuture<T>) future;
            f.loop.scheduleInternal(new Callback(new Runnable() {
                @Override
                public void run() {
                    callback.accept(f);
                }

                @Override
                public String toString() {
                    return "done-callback " + callback + " of " + f;
                }
            }, context));
        }
    }

    // ---------------------------------------------------------------- Future

    /**
     * Blocks until done, by the one rule: refuses on a loop thread with
     * {@link BlockingOnLoopException}; inside a task, suspends the task.
     */
    @Override
    public T get() throws InterruptedException, ExecutionException {
        try {
            return Async.await(this);
        } catch (InterruptedException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new ExecutionException(e);
        }
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return Awaiting.awaitWithTimeout(this, unit.toNanos(timeout), false);
        } catch (InterruptedException | TimeoutException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new ExecutionException(e);
        }
    }

    // ---------------------------------------------------------------- CompletionStage

    /** A CompletableFuture completed, on the loop, with this future's outcome. */
    @Override
    public synchronized CompletableFuture<T> toCompletableFuture() {
        if (view == null) {
            CompletableFuture<T> cf = new CompletableFuture<>();
            view = cf;
            markRetrieved();
            addWaiter(new Waiter() {
                @Override
                void fire(LoopFuture<?> f) {
                    // Complete on the loop so that dependent stages run there, never inside complete().
                    loop.scheduleInternal(new Callback(() -> copyTo(cf), null));
                }
            });
        }
        return view;
    }

    @SuppressWarnings("unchecked")
    private void copyTo(CompletableFuture<T> cf) {
        Object o = outcome;
        if (o instanceof Cancelled c) {
            cf.completeExceptionally(new CancelledException(c.message));
        } else if (o instanceof Failure f) {
            cf.completeExceptionally(f.exception);
        } else {
            cf.complete(o == NIL ? null : (T) o);
        }
    }

    private CompletableFuture<T> v() {
        return toCompletableFuture();
    }

    @Override
    public <U> CompletionStage<U> thenApply(Function<? super T, ? extends U> fn) {
        return v().thenApply(fn);
    }

    @Override
    public <U> CompletionStage<U> thenApplyAsync(Function<? super T, ? extends U> fn) {
        return v().thenApplyAsync(fn, loop);
    }

    @Override
    public <U> CompletionStage<U> thenApplyAsync(Function<? super T, ? extends U> fn, Executor executor) {
        return v().thenApplyAsync(fn, executor);
    }

    @Override
    public CompletionStage<Void> thenAccept(Consumer<? super T> action) {
        return v().thenAccept(action);
    }

    @Override
    public CompletionStage<Void> thenAcceptAsync(Consumer<? super T> action) {
        return v().thenAcceptAsync(action, loop);
    }

    @Override
    public CompletionStage<Void> thenAcceptAsync(Consumer<? super T> action, Executor executor) {
        return v().thenAcceptAsync(action, executor);
    }

    @Override
    public CompletionStage<Void> thenRun(Runnable action) {
        return v().thenRun(action);
    }

    @Override
    public CompletionStage<Void> thenRunAsync(Runnable action) {
        return v().thenRunAsync(action, loop);
    }

    @Override
    public CompletionStage<Void> thenRunAsync(Runnable action, Executor executor) {
        return v().thenRunAsync(action, executor);
    }

    @Override
    public <U, V> CompletionStage<V> thenCombine(CompletionStage<? extends U> other,
                                                 BiFunction<? super T, ? super U, ? extends V> fn) {
        return v().thenCombine(other, fn);
    }

    @Override
    public <U, V> CompletionStage<V> thenCombineAsync(CompletionStage<? extends U> other,
                                                      BiFunction<? super T, ? super U, ? extends V> fn) {
        return v().thenCombineAsync(other, fn, loop);
    }

    @Override
    public <U, V> CompletionStage<V> thenCombineAsync(CompletionStage<? extends U> other,
                                                      BiFunction<? super T, ? super U, ? extends V> fn, Executor executor) {
        return v().thenCombineAsync(other, fn, executor);
    }

    @Override
    public <U> CompletionStage<Void> thenAcceptBoth(CompletionStage<? extends U> other,
                                                    BiConsumer<? super T, ? super U> action) {
        return v().thenAcceptBoth(other, action);
    }

    @Override
    public <U> CompletionStage<Void> thenAcceptBothAsync(CompletionStage<? extends U> other,
                                                         BiConsumer<? super T, ? super U> action) {
        return v().thenAcceptBothAsync(other, action, loop);
    }

    @Override
    public <U> CompletionStage<Void> thenAcceptBothAsync(CompletionStage<? extends U> other,
                                                         BiConsumer<? super T, ? super U> action, Executor executor) {
        return v().thenAcceptBothAsync(other, action, executor);
    }

    @Override
    public CompletionStage<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
        return v().runAfterBoth(other, action);
    }

    @Override
    public CompletionStage<Void> runAfterBothAsync(CompletionStage<?> other, Runnable action) {
        return v().runAfterBothAsync(other, action, loop);
    }

    @Override
    public CompletionStage<Void> runAfterBothAsync(CompletionStage<?> other, Runnable action, Executor executor) {
        return v().runAfterBothAsync(other, action, executor);
    }

    @Override
    public <U> CompletionStage<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return v().applyToEither(other, fn);
    }

    @Override
    public <U> CompletionStage<U> applyToEitherAsync(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return v().applyToEitherAsync(other, fn, loop);
    }

    @Override
    public <U> CompletionStage<U> applyToEitherAsync(CompletionStage<? extends T> other, Function<? super T, U> fn,
                                                     Executor executor) {
        return v().applyToEitherAsync(other, fn, executor);
    }

    @Override
    public CompletionStage<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return v().acceptEither(other, action);
    }

    @Override
    public CompletionStage<Void> acceptEitherAsync(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return v().acceptEitherAsync(other, action, loop);
    }

    @Override
    public CompletionStage<Void> acceptEitherAsync(CompletionStage<? extends T> other, Consumer<? super T> action,
                                                   Executor executor) {
        return v().acceptEitherAsync(other, action, executor);
    }

    @Override
    public CompletionStage<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
        return v().runAfterEither(other, action);
    }

    @Override
    public CompletionStage<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action) {
        return v().runAfterEitherAsync(other, action, loop);
    }

    @Override
    public CompletionStage<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action, Executor executor) {
        return v().runAfterEitherAsync(other, action, executor);
    }

    @Override
    public <U> CompletionStage<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
        return v().thenCompose(fn);
    }

    @Override
    public <U> CompletionStage<U> thenComposeAsync(Function<? super T, ? extends CompletionStage<U>> fn) {
        return v().thenComposeAsync(fn, loop);
    }

    @Override
    public <U> CompletionStage<U> thenComposeAsync(Function<? super T, ? extends CompletionStage<U>> fn,
                                                   Executor executor) {
        return v().thenComposeAsync(fn, executor);
    }

    @Override
    public <U> CompletionStage<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
        return v().handle(fn);
    }

    @Override
    public <U> CompletionStage<U> handleAsync(BiFunction<? super T, Throwable, ? extends U> fn) {
        return v().handleAsync(fn, loop);
    }

    @Override
    public <U> CompletionStage<U> handleAsync(BiFunction<? super T, Throwable, ? extends U> fn, Executor executor) {
        return v().handleAsync(fn, executor);
    }

    @Override
    public CompletionStage<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
        return v().whenComplete(action);
    }

    @Override
    public CompletionStage<T> whenCompleteAsync(BiConsumer<? super T, ? super Throwable> action) {
        return v().whenCompleteAsync(action, loop);
    }

    @Override
    public CompletionStage<T> whenCompleteAsync(BiConsumer<? super T, ? super Throwable> action, Executor executor) {
        return v().whenCompleteAsync(action, executor);
    }

    @Override
    public CompletionStage<T> exceptionally(Function<Throwable, ? extends T> fn) {
        return v().exceptionally(fn);
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
