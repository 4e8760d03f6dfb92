package io.loopbridge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.Callable;

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
public final class TaskGroup implements AutoCloseable {
    /** A body given the group to spawn into. */
    @FunctionalInterface
    public interface Body<T> {
        T run(TaskGroup group) throws Exception;
    }

    private enum State { OPEN, CLOSING, CLOSED }

    private final Task<?> parent;
    private final Loop loop;
    /** The parent's pending cancellation requests when the group opened; more at close() means it is being cancelled. */
    private final int cancellingAtOpen;
    private final ArrayList<Task<?>> children = new ArrayList<>();
    private State state = State.OPEN;
    private boolean aborting;
    /** How {@link #run}'s body left the block. */
    private enum BodyExit {
        /** Normally: no exception is leaving the block. */
        RETURNED,
        /** With an exception of its own, which joined the group's failures. */
        FAILED,
        /** With a cancellation of the parent ({@link #bodyCancelledWith}). */
        CANCELLED
    }

    /** Null in a try-with-resources block, whose way out close() cannot see. */
    private BodyExit bodyExit;
    /** The cancellation the body left with, when {@link #bodyExit} is CANCELLED. */
    private Throwable bodyCancelledWith;
    private int pending;
    private TaskGroupException failure;
    private Error fatal;
    private boolean parentCancelRequested;
    /** The group's request on its parent, from the first child failure until the group closes. */
    private CancelRequests.Request parentRequest;
    /** How the parent task sees this group: its request is raised as the group's failure (an Error bare). */
    private final CancelRequests.CancelScope scope = otherRequests -> fatal != null ? fatal : failure;
    private LoopFuture<Void> allDone;

    private TaskGroup(Task<?> parent) {
        this.parent = parent;
        this.loop = parent.loop;
        this.cancellingAtOpen = parent.cancelling();
        parent.enterScope(scope);
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
     * cancelled and the body's exception joins the children's failures. If it returns, the
     * block ends normally whatever the body caught on the way: the children are waited for,
     * and the group's {@link TaskGroupException} is thrown even when the body caught it at an
     * await (as asyncio raises the group's failures at the block's end).
     */
    public static <T> T run(Body<T> body) throws Exception {
        TaskGroup g = open();
        T result;
        try {
            result = body.run(g);
        } catch (Exception | Error e) {
            if (e != g.failure && e != g.fatal) {
                if (g.parent.isCancellation(e)) {
                    // The body is being cancelled (from outside, by a timeout or an enclosing group): not a failure.
                    g.bodyExit = BodyExit.CANCELLED;
                    g.bodyCancelledWith = e;
                    g.abort();
                } else {
                    g.recordBodyFailure(e);
                }
            }
            g.close();
            throw e;
        }
        // The body returned: the block ends normally whatever it caught on the way (a
        // cancellation it swallowed, the group's exception it saw), as asyncio's __aexit__ with
        // no exception: wait for the children, then raise the group's failures.
        g.bodyExit = BodyExit.RETURNED;
        g.close();
        return result;
    }

    /** Spawns a child task in this group. */
    public <T> Task<T> spawn(Callable<T> body) {
        return spawn(null, body);
    }

    /** Spawns a named child task in this group. */
    public <T> Task<T> spawn(String name, Callable<T> body) {
        checkOpen();
        return adopt(Task.start(loop, name, body, Scope.context()));
    }

    /**
     * Spawns a child task that runs in {@code context} (see
     * {@link EventLoop#createTask(String, Callable, ContextVar.Context)}); {@code name} may be null.
     */
    public <T> Task<T> spawn(String name, Callable<T> body, ContextVar.Context context) {
        checkOpen();
        return adopt(Task.start(loop, name, body, context));
    }

    private void checkOpen() {
        if (state == State.CLOSED || aborting) {
            throw new IllegalStateException("cannot spawn into this TaskGroup: it is "
                    + (state == State.CLOSED ? "closed" : "shutting down because a task failed or it was cancelled"));
        }
    }

    private <T> Task<T> adopt(Task<T> t) {
        children.add(t);
        pending++;
        t.addListener(f -> childDone(t));
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
                parentRequest = parent.requestCancelBy(scope);
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
     * The Error propagates bare; the other failures travel with it as suppressed exceptions (as
     * try-with-resources attaches a close failure), or, when the Error keeps none (a JVM-made
     * OutOfMemoryError), go to the loop's exception handler: never nowhere.
     */
    private void attachFailuresBesideFatal() {
        if (failure == null) {
            return;
        }
        for (Throwable other : failure.getExceptions()) {
            if (other == fatal) {
                continue;
            }
            fatal.addSuppressed(other);
            if (!Arrays.asList(fatal.getSuppressed()).contains(other)) {
                loop.callExceptionHandler(new ExceptionContext("a failure in the TaskGroup of " + parent.name()
                        + ", not raised because an Error propagates from the group: " + fatal, other, parent));
            }
        }
    }

    private void recordBodyFailure(Throwable e) {
        bodyExit = BodyExit.FAILED;
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
        if (!aborting && bodyExit != BodyExit.RETURNED && parent.cancelling() > cancellingAtOpen) {
            // The block is being left because the parent is being cancelled (or its timeout expired).
            abort();
        }
        Throwable outer = null;
        ArrayList<Throwable> later = null;
        boolean ownRaisedHere = false;
        while (pending > 0) {
            allDone = new LoopFuture<>(loop);
            try {
                parent.await(allDone);
            } catch (Exception | Error e) {
                if (e == failure || e == fatal) {
                    // Our own failure, raised at this suspension point: keep waiting, throw it below.
                    ownRaisedHere = true;
                } else if (outer == null) {
                    // A cancellation of the parent (an outside cancel, an enclosing timeout or group):
                    // the children are cancelled, and it propagates once they are done.
                    outer = e;
                    abort();
                } else {
                    // Another one while waiting: asyncio's __aexit__ swallows it (it still counts in
                    // cancelling()); only when the group's errors are thrown instead of the outer
                    // cancellation are these raised again, below.
                    later = later == null ? new ArrayList<>(2) : later;
                    later.add(e);
                }
            }
        }
        allDone = null;
        state = State.CLOSED;
        parent.exitScope(scope);
        Throwable mine = fatal != null ? fatal : failure;
        // What the group's request was raised as in the body: its own failure, or a cancellation that
        // came together with it (an outside cancel wins the suspension point, as in asyncio).
        Throwable raised = parentRequest != null ? parentRequest.raisedAs : null;
        boolean seenByBody = mine != null && raised == mine && !ownRaisedHere
                && bodyExit != BodyExit.FAILED && bodyExit != BodyExit.RETURNED;
        if (parentRequest != null) {
            parent.withdraw(parentRequest);
            parentRequest = null;
        }
        if (fatal != null) {
            attachFailuresBesideFatal();
        }
        if (mine != null && !seenByBody) {
            // The group's errors take priority over a cancellation that arrived meanwhile; that
            // cancellation is raised again at the parent's next suspension point, not lost.
            if (outer != null) {
                parent.redeliver(outer);
            }
            if (later != null) {
                later.forEach(parent::redeliver);
            }
            if (raised != null && raised != mine) {
                parent.redeliver(raised);
            }
            if (bodyExit == BodyExit.CANCELLED) {
                // run() throws the group's failure instead of the body's cancellation, which stays
                // pending (asyncio's uncancel(); cancel() in __aexit__).
                parent.redeliver(bodyCancelledWith);
            }
            throw Exceptions.rethrow(mine);
        }
        if (outer != null) {
            throw Exceptions.rethrow(outer);
        }
    }
}
