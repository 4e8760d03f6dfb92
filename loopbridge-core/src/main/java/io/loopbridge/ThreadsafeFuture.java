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
    void start(Task<T> t) {
        task = t;
        if (cancelRequested) {
            t.cancel("cancelled through the future of runCoroutineThreadsafe");
        }
        t.addWaiter(new LoopFuture.Waiter() {
            @Override
            @SuppressWarnings("unchecked")
            void fire(LoopFuture<?> f) {
                f.markRetrieved();
                Object o = f.rawOutcome();
                if (o instanceof LoopFuture.Cancelled c) {
                    ThreadsafeFuture.super.completeExceptionally(new CancelledException(c.message));
                } else if (o instanceof LoopFuture.Failure fail) {
                    ThreadsafeFuture.super.completeExceptionally(fail.exception);
                } else {
                    try {
                        ThreadsafeFuture.super.complete((T) f.reportOutcome(o));
                    } catch (Exception e) {
                        ThreadsafeFuture.super.completeExceptionally(e);
                    }
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
        // Checked even when done: a call that is refused only sometimes is worse than one always refused.
        awaitByTheRule("get()");
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        Scope s = Scope.current();
        Awaiting.checkMayBlock("Future.get of runCoroutineThreadsafe", s);
        if (!isDone()) {
            if (s != null && s.task != null) {
                try {
                    Awaiting.awaitWithTimeout(this, unit.toNanos(timeout), false);
                } catch (TimeoutException | InterruptedException e) {
                    throw e;
                } catch (Exception ignored) {
                    // The outcome is reported by super.get below.
                }
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
        Scope s = Scope.current();
        Awaiting.checkMayBlock("Future." + what + " of runCoroutineThreadsafe", s);
        if (s != null && s.task != null && !isDone()) {
            try {
                s.task.await(this);
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
