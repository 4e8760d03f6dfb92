package io.loopbridge;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The future of {@link Threads#runCoroutineThreadsafe}: mirrors a task's outcome, forwards
 * {@code cancel} to the task (reporting cancelled only once the task is done), and makes its
 * blocking methods follow the one rule.
 */
final class ThreadsafeFuture<T> extends CompletableFuture<T> {
    private final EventLoop loop;
    private volatile Task<T> task;
    private volatile boolean cancelRequested;

    ThreadsafeFuture(EventLoop loop) {
        this.loop = loop;
    }

    /** On the loop: the task exists now. */
    @SuppressWarnings("unchecked")
    void start(Task<T> t) {
        task = t;
        if (cancelRequested) {
            t.cancel("cancelled through the future of runCoroutineThreadsafe");
        }
        t.addListener(f -> {
            f.markRetrieved();
            Object o = f.rawOutcome();
            if (o instanceof LoopFuture.Cancelled c) {
                super.completeExceptionally(c.exception());
            } else if (o instanceof LoopFuture.Failure fail) {
                super.completeExceptionally(fail.exception);
            } else {
                try {
                    super.complete((T) f.reportOutcome(o));
                } catch (Exception e) {
                    super.completeExceptionally(e);
                }
            }
        });
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (isDone()) {
            return false;
        }
        cancelRequested = true;
        Task<T> t = task;
        if (t != null) {
            return t.cancel("cancelled through the future of runCoroutineThreadsafe");
        }
        // Not started yet: start() sees the flag and cancels the task at once.
        return true;
    }

    @Override
    public boolean isCancelled() {
        return super.isCancelled() || (isCompletedExceptionally() && exceptionNow() instanceof CancelledException);
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        awaitByTheRule("get()");
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        String what = "Future.get of runCoroutineThreadsafe";
        Task<?> task = Waiting.enter(what);
        if (task != null && !isDone()) {
            try {
                Waiting.await(this, unit.toNanos(timeout), false, what);
            } catch (TimeoutException | InterruptedException | CancelledException e) {
                throw e; // CancelledException: the waiting task was cancelled, not the future
            } catch (Exception ignored) {
                // The outcome is reported by super.get below.
            }
        }
        return super.get(timeout, unit);
    }

    @Override
    public T join() {
        try {
            awaitByTheRule("join()");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CompletionException(e);
        }
        return super.join();
    }

    private void awaitByTheRule(String what) throws InterruptedException {
        // Checked even when done: a call that is refused only sometimes is worse than one always refused.
        Task<?> task = Waiting.enter("Future." + what + " of runCoroutineThreadsafe");
        if (task != null && !isDone()) {
            try {
                task.await(this);
            } catch (InterruptedException | CancelledException e) {
                throw e;
            } catch (Exception ignored) {
                // The outcome is reported by the caller through super.get/join.
            }
        }
    }

    @Override
    public String toString() {
        Task<T> t = task;
        return "ThreadsafeFuture[" + (t != null ? t : "not started on " + loop.name()) + "]";
    }
}
