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
        awaitByTheRule("Future.get() of runCoroutineThreadsafe", -1);
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long nanos = Math.max(0, unit.toNanos(timeout)); // negative: at once, as CompletableFuture.get
        long start = System.nanoTime();
        if (!awaitByTheRule("Future.get of runCoroutineThreadsafe", nanos)) {
            throw new TimeoutException("Future.get of runCoroutineThreadsafe timed out after " + nanos + " ns: " + this);
        }
        return super.get(Math.max(0, nanos - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
    }

    @Override
    public T join() {
        try {
            awaitByTheRule("Future.join() of runCoroutineThreadsafe", -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CompletionException(e);
        }
        return super.join();
    }

    /**
     * The one rule for get/join: on a loop thread outside a task it throws; in a task it
     * suspends the task until this future is done, at most {@code timeoutNanos} (negative: no
     * bound), and returns false if that wait timed out. The waiting task's own cancellation or
     * interrupt is thrown; the future's outcome is left to {@code super.get}/{@code join}.
     */
    private boolean awaitByTheRule(String call, long timeoutNanos) throws InterruptedException {
        // Checked even when done: a call that is refused only sometimes is worse than one always refused.
        Task<?> task = Waiting.enter(call);
        if (task == null && !isDone()) {
            // A plain thread: CompletableFuture.get parks at once, and the loop's reply usually
            // comes within microseconds (BriefSpin). The caller's get then finds it done.
            BriefSpin.until(this::isDone, timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos);
            return true;
        }
        if (task != null && !isDone()) {
            try {
                if (timeoutNanos < 0) {
                    task.await(this);
                } else {
                    Waiting.await(this, timeoutNanos, false, call);
                }
            } catch (InterruptedException | CancelledException e) {
                throw e;
            } catch (TimeoutException e) {
                return isDone(); // done: it was the future's own outcome, which super.get reports
            } catch (Exception ignored) {
                // The future's own outcome: reported by super.get/join.
            }
        }
        return true;
    }

    @Override
    public String toString() {
        Task<T> t = task;
        return "ThreadsafeFuture[" + (t != null ? t : "not started on " + loop.name()) + "]";
    }
}
