package io.loopbridge;

import java.util.ArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;

/**
 * Structured concurrency (asyncio.TaskGroup): children spawned in the group are all finished
 * when the block is left. The first child failure cancels the other children and the body
 * (whose current await then throws the {@link TaskGroupException}); every failure is
 * collected in it. An {@link Error} such as {@code OutOfMemoryError} propagates bare. A
 * cancellation of the enclosing task cancels the children and propagates when no child
 * failed.
 *
 * <pre>{@code
 * try (TaskGroup tg = TaskGroup.open()) {
 *     Task<User> user = tg.spawn(() -> fetchUser(id));
 *     Task<List<Order>> orders = tg.spawn(() -> fetchOrders(id));
 * } // both done here; user.result() and orders.result() are ready
 * }</pre>
 *
 * <p>Java cannot show {@code close()} the exception a block is leaving with. {@code close()}
 * still cancels the children when the block is left because the task is being cancelled (a
 * cancellation request, an expired {@code Async.timeout}, an enclosing group's failure is
 * pending on it); if the body itself may throw while children run, use {@link #run(Body)},
 * which also cancels the children then and adds the body's exception to the group's.
 *
 * <p>Confined to the task that opened it (spawn and close from that task, or from its
 * children's loop).
 */
public final class TaskGroup implements AutoCloseable, Task.CancelCause {
    /** A body given the group to spawn into. */
    @FunctionalInterface
    public interface Body<T> {
        T run(TaskGroup group) throws Exception;
    }

    private enum State { OPEN, CLOSING, CLOSED }

    private final Task<?> parent;
    private final SelectorEventLoop loop;
    /** The parent's pending cancellation requests when the group opened; more at close() means it is being cancelled. */
    private final int cancellingAtOpen;
    private final ArrayList<Task<?>> children = new ArrayList<>();
    private State state = State.OPEN;
    private boolean aborting;
    private int pending;
    private TaskGroupException failure;
    private Error fatal;
    private boolean failureDelivered;
    private boolean fatalDelivered;
    private boolean parentCancelRequested;
    private LoopFuture<Void> allDone;

    private TaskGroup(Task<?> parent) {
        this.parent = parent;
        this.loop = parent.loop;
        this.cancellingAtOpen = parent.cancelling();
    }

    /** Opens a group owned by the current task. */
    public static TaskGroup open() {
        Task<?> t = Task.currentOrNull();
        if (t == null) {
            throw new IllegalStateException("TaskGroup.open() must be called inside a task; use Async.run(...) "
                    + "or loop.createTask(...) to get one");
        }
        return new TaskGroup(t);
    }

    /**
     * Runs {@code body} with a new group and leaves it: if the body throws, the children are
     * cancelled and the body's exception joins the children's failures.
     */
    public static <T> T run(Body<T> body) throws Exception {
        TaskGroup g = open();
        T result;
        try {
            result = body.run(g);
        } catch (Exception | Error e) {
            if (e != g.failure && e != g.fatal) {
                if (g.isCancellation(e)) {
                    // The body is being cancelled (from outside, by a timeout or an enclosing group): not a failure.
                    g.abort();
                } else {
                    g.recordBodyFailure(e);
                }
            }
            g.close();
            throw e;
        }
        g.close();
        return result;
    }

    /** Spawns a child task in this group. */
    public <T> Task<T> spawn(Callable<T> body) {
        return spawn(null, body);
    }

    /** Spawns a named child task in this group. */
    public <T> Task<T> spawn(String name, Callable<T> body) {
        if (state == State.CLOSED || aborting) {
            throw new IllegalStateException("cannot spawn into this TaskGroup: it is "
                    + (state == State.CLOSED ? "closed" : "shutting down because a task failed or it was cancelled"));
        }
        Task<T> t = loop.createTask(name, body);
        children.add(t);
        pending++;
        t.addWaiter(new LoopFuture.Waiter() {
            @Override
            void fire(LoopFuture<?> f) {
                childDone(t);
            }
        });
        return t;
    }

    private void childDone(Task<?> t) {
        pending--;
        children.remove(t);
        if (t.isCompletedExceptionally()) {
            t.markRetrieved();
            Throwable e = t.exception();
            addFailure(e);
            abort();
            if (state == State.OPEN && !parentCancelRequested) {
                parentCancelRequested = true;
                parent.requestCancel("a task of its TaskGroup failed", this);
            }
        }
        if (pending == 0 && allDone != null) {
            allDone.complete(null);
        }
    }

    private void addFailure(Throwable e) {
        if (e instanceof Error err && fatal == null) {
            fatal = err;
        }
        if (failure == null) {
            failure = new TaskGroupException("unhandled errors in a TaskGroup");
        }
        failure.add(e);
    }

    /**
     * Whether {@code e}, leaving the body, is a cancellation of the parent rather than a failure
     * of the body: a CancelledException, or the TimeoutException of an expired Async.timeout or
     * the TaskGroupException of an enclosing group, delivered in place of one (the parent then
     * still has a cancellation request pending since the group opened).
     */
    private boolean isCancellation(Throwable e) {
        return e instanceof CancelledException
                || ((e instanceof TimeoutException || e instanceof TaskGroupException)
                        && parent.cancelling() > cancellingAtOpen);
    }

    void recordBodyFailure(Throwable e) {
        addFailure(e);
        abort();
    }

    private void abort() {
        if (aborting) {
            return;
        }
        aborting = true;
        for (Task<?> c : new ArrayList<>(children)) {
            c.cancel("its TaskGroup is shutting down");
        }
    }

    @Override
    public Exception cancellationRaised(Task<?> task) {
        if (failure != null && !failureDelivered) {
            // The request is withdrawn (uncancel) when the group closes, as asyncio's __aexit__ does,
            // so that nested groups and timeouts see the parent as being cancelled meanwhile.
            failureDelivered = true;
            if (fatal != null) {
                fatalDelivered = true;
                throw fatal; // an Error propagates bare
            }
            return failure;
        }
        return null;
    }

    /**
     * Waits for every child; throws the group's {@link TaskGroupException} if any failed (and
     * it was not already raised in the body), a child's {@link Error} bare, or the outer
     * cancellation that arrived meanwhile.
     */
    @Override
    public void close() throws Exception {
        if (state == State.CLOSED) {
            return;
        }
        if (Task.currentOrNull() != parent) {
            throw new IllegalStateException("a TaskGroup must be closed by the task that opened it (" + parent.name() + ")");
        }
        state = State.CLOSING;
        if (!aborting && parent.cancelling() > cancellingAtOpen) {
            // The block is being left because the parent is being cancelled (or its timeout expired).
            abort();
        }
        Throwable outer = null;
        boolean ownRaisedHere = false;
        while (pending > 0) {
            allDone = loop.createFuture();
            try {
                parent.await(allDone);
            } catch (TaskGroupException | Error e) {
                if (e == failure || e == fatal) {
                    // Our own failure, raised at this suspension point: keep waiting, throw it below.
                    ownRaisedHere = true;
                } else {
                    // An enclosing group's failure (or an Error) delivered to the parent: a cancellation.
                    outer = e;
                    abort();
                }
            } catch (CancelledException | TimeoutException e) {
                outer = e;
                abort();
            }
        }
        allDone = null;
        state = State.CLOSED;
        if (parentCancelRequested) {
            if (parent.cancelCause == this) {
                parent.cancelCause = null;
            }
            parent.uncancel();
        }
        if (fatal != null && (!fatalDelivered || ownRaisedHere)) {
            fatalDelivered = true;
            throw fatal;
        }
        if (failure != null && (!failureDelivered || ownRaisedHere)) {
            failureDelivered = true;
            throw failure;
        }
        if (outer instanceof Error err) {
            throw err;
        }
        if (outer != null) {
            throw (Exception) outer;
        }
    }
}
