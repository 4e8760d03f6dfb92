package io.loopbridge;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A body of plain Java code running on a loop (asyncio.Task). Each task is a virtual thread
 * scheduled by its loop; between two suspension points ({@code Async.await},
 * {@code Async.sleep}, {@code Async.checkpoint}, ...) no other task of the loop runs.
 * The loop holds a strong reference to every unfinished task.
 *
 * <p>Cancellation follows asyncio 3.11: {@link #cancel(String)} raises
 * {@link CancelledException} at the task's current or next suspension point (cancelling
 * the future it awaits, if any); {@link #cancelling()} counts pending requests and
 * {@link #uncancel()} withdraws one. A task cannot be completed from outside.
 *
 * <p>This class is thread-safe: {@code cancel} from another thread is forwarded to the loop.
 * A task's outcome is read as for any {@link LoopFuture}.
 *
 * @param <T> the result type
 */
public final class Task<T> extends LoopFuture<T> {

    /** Why a task is being cancelled, when the canceller wants its own exception raised instead. */
    interface CancelCause {
        /** The exception to raise at the task's suspension point instead of CancelledException, or null. */
        Exception cancellationRaised(Task<?> task);
    }

    private static final boolean MDC_ACTIVE =
            !(org.slf4j.MDC.getMDCAdapter() instanceof org.slf4j.helpers.NOPMDCAdapter);

    /** The given name, or null: then "Task-" + id, built only when asked for. */
    private final String name;
    private final long id;
    private final boolean fast;
    private final Callable<T> body;
    /** The creator's SLF4J MDC, installed in the task's thread (null when empty or no MDC). */
    private final java.util.Map<String, String> mdc;
    final Scope scope;
    Thread thread;
    int registryIndex = -1;

    // Loop turn only (the loop thread, or this task while it runs).
    private int cancelRequests;
    private String cancelMessage;
    CancelCause cancelCause;
    private CompletionStage<?> waitingOn;
    volatile boolean mustCancel;

    // PORTABLE carrier state.
    volatile boolean baton;
    volatile Thread batonReturn;
    boolean started;
    volatile boolean bodyDone;

    Task(SelectorEventLoop loop, String name, long id, Callable<T> body, Context context) {
        super(loop);
        this.name = name;
        this.id = id;
        this.fast = loop.taskMode() == TaskMode.FAST;
        this.body = body;
        this.scope = new Scope(loop, this, context);
        this.mdc = MDC_ACTIVE ? org.slf4j.MDC.getCopyOfContextMap() : null;
    }

    /** The task running on this thread, if any. */
    public static Optional<Task<?>> current() {
        Scope s = Scope.current();
        return Optional.ofNullable(s == null ? null : s.task);
    }

    static Task<?> currentOrNull() {
        Scope s = Scope.current();
        return s == null ? null : s.task;
    }

    /** The task's name ("Task-N" unless given). */
    public String name() {
        return name != null ? name : "Task-" + id;
    }

    /** Tasks complete only by running their body. */
    @Override
    public boolean complete(T value) {
        throw new UnsupportedOperationException("a Task completes when its body returns; it cannot be completed from outside: " + this);
    }

    /** Tasks complete only by running their body. */
    @Override
    public boolean completeExceptionally(Throwable exception) {
        throw new UnsupportedOperationException("a Task completes when its body throws; it cannot be failed from outside: " + this);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return cancel((String) null);
    }

    /**
     * Requests cancellation: {@link CancelledException} with {@code message} is raised at the
     * task's current or next suspension point. Returns false if the task is already done.
     * From a thread outside the loop the request is forwarded to the loop.
     */
    @Override
    public boolean cancel(String message) {
        return requestCancel(message, null);
    }

    boolean requestCancel(String message, CancelCause cause) {
        if (isDone()) {
            return false;
        }
        if (!loop.inLoop() && loop.loopThread() != null) {
            loop.scheduleInternal(new Callback(() -> requestCancel(message, cause), null));
            return true;
        }
        cancelRequests++;
        cancelMessage = message;
        if (cause != null) {
            cancelCause = cause;
        }
        CompletionStage<?> w = waitingOn;
        if (w != null && cancelStage(w, message)) {
            // Its completion wakes us, and the cancellation propagates from it.
            return true;
        }
        mustCancel = true;
        loop.carrier().resume(this);
        return true;
    }

    private static boolean cancelStage(CompletionStage<?> stage, String message) {
        if (stage instanceof LoopFuture<?> lf) {
            return lf.cancel(message);
        }
        if (stage instanceof CompletableFuture<?> cf) {
            return cf.cancel(false);
        }
        try {
            return stage.toCompletableFuture().cancel(false);
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** Number of pending cancellation requests (asyncio's Task.cancelling). Loop turn. */
    public int cancelling() {
        return cancelRequests;
    }

    /** Withdraws one cancellation request; returns the remaining count. Loop turn. */
    public int uncancel() {
        if (cancelRequests > 0) {
            cancelRequests--;
            if (cancelRequests == 0) {
                mustCancel = false;
            }
        }
        return cancelRequests;
    }

    // ---------------------------------------------------------------- the body

    void runBody() {
        if (!fast) {
            Scope.CURRENT.set(scope); // FAST tasks are found through their carrier (Scope.current)
        }
        if (mdc != null && !mdc.isEmpty()) {
            org.slf4j.MDC.setContextMap(mdc);
        }
        try {
            if (mustCancel) {
                throw cancellation(null);
            }
            finish(body.call(), null);
        } catch (Throwable e) {
            finish(null, e);
        } finally {
            bodyDone = true;
            loop.carrier().finished(this);
        }
    }

    private void finish(T value, Throwable failure) {
        loop.taskFinished(this);
        cancelCause = null;
        if (failure == null) {
            super.complete(value);
        } else if (failure instanceof CancelledException ce) {
            setOutcome(new Cancelled(ce.getMessage()));
        } else {
            super.completeExceptionally(failure);
        }
    }

    // ---------------------------------------------------------------- suspension points

    private void park() {
        loop.carrier().park(this);
    }

    /** Awaits {@code stage} from this task's own thread. */
    @SuppressWarnings("unchecked")
    <V> V await(CompletionStage<V> stage) throws Exception {
        if (stage == this) {
            throw new IllegalStateException("a task cannot await itself: " + this);
        }
        if (stage instanceof LoopFuture<V> lf) {
            Object o = lf.rawOutcome();
            if (o != null) {
                return (V) Awaiting.report(lf, o);
            }
            return awaitLoopFuture(lf);
        }
        CompletableFuture<V> cf = Awaiting.asCompletableFuture(stage);
        if (!cf.isDone()) {
            awaitForeign(cf);
        }
        if (cf.isCancelled()) {
            throw cancellation(null);
        }
        return Awaiting.joinUnwrapped(cf);
    }

    @SuppressWarnings("unchecked")
    private <V> V awaitLoopFuture(LoopFuture<V> lf) throws Exception {
        if (mustCancel) {
            throw cancellation(null);
        }
        lf.addWaitingTask(this);
        waitingOn = lf;
        try {
            while (!lf.isDone() && !mustCancel) {
                park();
            }
        } finally {
            waitingOn = null;
        }
        if (mustCancel) {
            lf.removeWaiter(this);
            throw cancellation(null);
        }
        Object o = lf.rawOutcome();
        if (o instanceof Cancelled c) {
            lf.markRetrieved();
            throw cancellation(c.message);
        }
        return (V) Awaiting.report(lf, o);
    }

    private void awaitForeign(CompletableFuture<?> cf) throws Exception {
        if (mustCancel) {
            throw cancellation(null);
        }
        cf.whenComplete((v, e) -> loop.carrier().resume(this));
        waitingOn = cf;
        try {
            while (!cf.isDone() && !mustCancel) {
                park();
            }
        } finally {
            waitingOn = null;
        }
        if (mustCancel) {
            throw cancellation(null);
        }
    }

    /** Yields to the loop once (asyncio's {@code await sleep(0)}). */
    void checkpoint() throws Exception {
        if (mustCancel) {
            throw cancellation(null);
        }
        loop.carrier().yieldNow(this);
        if (mustCancel) {
            throw cancellation(null);
        }
    }

    /** The exception to raise for a cancellation delivered now; clears the pending request flag. */
    Exception cancellation(String fallbackMessage) {
        mustCancel = false;
        CancelCause cause = cancelCause;
        if (cause != null) {
            cancelCause = null;
            Exception e = cause.cancellationRaised(this);
            if (e != null) {
                return e;
            }
        }
        return new CancelledException(cancelMessage != null ? cancelMessage : fallbackMessage);
    }

    // ---------------------------------------------------------------- diagnostics

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Task[").append(name()).append(", ");
        if (isDone()) {
            sb.append(stateName());
        } else if (thread == null || !thread.isAlive()) {
            sb.append("pending start");
        } else {
            sb.append("running");
            StackTraceElement where = suspendedAt();
            if (where != null) {
                sb.append(", suspended at ").append(where);
            }
        }
        return sb.append(']').toString();
    }

    private static boolean isLibraryFrame(String className) {
        // The library's own frames; user code (and this project's tests) may share the package.
        return className.startsWith("io.loopbridge.") && !className.matches(".*Tests?(\\$.*)?$");
    }

    private StackTraceElement suspendedAt() {
        if (thread == Thread.currentThread()) {
            return null;
        }
        for (StackTraceElement e : thread.getStackTrace()) {
            String c = e.getClassName();
            if (!c.startsWith("java.") && !c.startsWith("jdk.") && !isLibraryFrame(c)) {
                return e;
            }
        }
        return null;
    }
}
