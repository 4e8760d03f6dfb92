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

    /**
     * A block of a task's code that may cancel the task and then raise its own exception at the
     * task's suspension point instead of {@link CancelledException}: an {@link Timeout} that
     * expired ({@code TimeoutException}), a {@link TaskGroup} whose child failed (its
     * {@code TaskGroupException}). Scopes nest: the task keeps them innermost last.
     */
    interface CancelScope {
        /**
         * The exception to raise for this scope's request, or null for {@link CancelledException}.
         *
         * @param otherRequests the task's requests that will still be pending once this scope and
         *                      the scopes inside it have withdrawn theirs (asyncio's
         *                      {@code uncancel()} result at the block's exit)
         */
        Throwable cancellationRaised(Task<?> task, int otherRequests);
    }

    /**
     * One request to cancel this task (asyncio counts them in {@code cancelling()}): plain,
     * from {@link #cancel}, or made by a scope of the task, which withdraws it when its block
     * ends. Each request is raised once at a suspension point; {@link #deliveredAs} is what it
     * was raised as, so a scope can tell its own exception from another's.
     */
    static final class CancelRequest {
        final String message;
        final CancelScope owner;
        Throwable deliveredAs;

        CancelRequest(String message, CancelScope owner) {
            this.message = message;
            this.owner = owner;
        }
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
    /** Pending cancellation requests, oldest first; null until the first. */
    private java.util.ArrayList<CancelRequest> requests;
    /** Open scopes of this task (timeouts, task groups), innermost last; null until the first. */
    private java.util.ArrayList<CancelScope> scopes;
    /** Open timeouts, checked at every suspension point so that a passed deadline is never missed. */
    private int openTimeouts;
    private CompletionStage<?> waitingOn;
    /** A request is pending that nothing this task waits on will raise: raise it at the next suspension point. */
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
        if (isDone()) {
            markRetrieved(); // as asyncio: whoever cancels a failed task has dealt with it
            return false;
        }
        if (!loop.inLoop() && loop.loopThread() != null) {
            loop.scheduleInternal(new Callback(() -> cancel(message), null));
            return true;
        }
        request(new CancelRequest(message, null));
        return true;
    }

    /** Loop turn: {@code owner}, a scope of this task, requests its cancellation; null if the task is done. */
    CancelRequest requestCancelBy(CancelScope owner) {
        if (isDone()) {
            return null;
        }
        CancelRequest r = new CancelRequest(null, owner);
        request(r);
        return r;
    }

    private void request(CancelRequest r) {
        if (requests == null) {
            requests = new java.util.ArrayList<>(2);
        }
        requests.add(r);
        CompletionStage<?> w = waitingOn;
        if (w != null && cancelStage(w, r.message)) {
            // Its completion wakes us, and the request is raised then.
            return;
        }
        mustCancel = true;
        if (Thread.currentThread() != thread) {
            loop.carrier().resume(this);
        }
    }

    /** Loop turn: a scope withdraws its request when its block ends (asyncio's uncancel in __aexit__). */
    void withdraw(CancelRequest r) {
        if (requests != null && requests.remove(r)) {
            recomputeMustCancel();
        }
    }

    /**
     * Loop turn: an exception raised for requests at a suspension point was superseded by a
     * scope's own (a failed TaskGroup raises its failure instead): those requests are raised
     * again at the next suspension point, as asyncio's re-cancel in TaskGroup.__aexit__ does.
     */
    void redeliver(Throwable superseded) {
        if (requests == null) {
            return;
        }
        for (CancelRequest r : requests) {
            if (r.deliveredAs == superseded) {
                r.deliveredAs = null;
                mustCancel = true;
            }
        }
    }

    /** Whether {@code e}, raised at a suspension point, is a cancellation of this task rather than a failure. */
    boolean isCancellation(Throwable e) {
        if (e instanceof CancelledException) {
            return true;
        }
        if (requests != null) {
            for (CancelRequest r : requests) {
                if (r.deliveredAs == e) {
                    return true;
                }
            }
        }
        return false;
    }

    private void recomputeMustCancel() {
        boolean pending = false;
        for (CancelRequest r : requests) {
            if (r.deliveredAs == null) {
                pending = true;
                break;
            }
        }
        mustCancel = pending;
    }

    void enterScope(CancelScope scope) {
        if (scopes == null) {
            scopes = new java.util.ArrayList<>(2);
        }
        scopes.add(scope);
        if (scope instanceof Timeout) {
            openTimeouts++;
        }
    }

    void exitScope(CancelScope scope) {
        if (scopes != null && scopes.remove(scope) && scope instanceof Timeout) {
            openTimeouts--;
        }
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
        return requests == null ? 0 : requests.size();
    }

    /**
     * Withdraws one cancellation request (the latest plain {@link #cancel} if any, else the
     * latest); returns the remaining count. When none remains, nothing is raised any more.
     * Loop turn.
     */
    public int uncancel() {
        if (requests == null || requests.isEmpty()) {
            return 0;
        }
        int victim = requests.size() - 1;
        for (int i = victim; i >= 0; i--) {
            if (requests.get(i).owner == null) {
                victim = i;
                break;
            }
        }
        requests.remove(victim);
        recomputeMustCancel();
        return requests.size();
    }

    // ---------------------------------------------------------------- the body

    void runBody() {
        if (!fast) {
            Scope.CURRENT.set(scope); // FAST tasks are found through their carrier (Scope.current)
        }
        if (mdc != null && !mdc.isEmpty()) {
            org.slf4j.MDC.setContextMap(mdc);
        }
        T value = null;
        Throwable failure = null;
        try {
            if (mustCancel) {
                throw cancellation(null);
            }
            value = body.call();
        } catch (Throwable e) {
            failure = e;
        }
        try {
            finish(value, failure);
        } finally {
            bodyDone = true;
            loop.carrier().finished(this);
        }
    }

    /**
     * The one place that decides a task's outcome when its body ends (asyncio's
     * {@code Task.__step}): a body that returns while a cancellation request is still pending
     * ends cancelled; a CancelledException ends it cancelled; any other exception fails it,
     * even with a request pending.
     */
    private void finish(T value, Throwable failure) {
        loop.taskFinished(this);
        if (failure == null && mustCancel) {
            setOutcome(new Cancelled(pendingMessage()));
        } else if (failure == null) {
            super.complete(value);
        } else if (failure instanceof CancelledException ce) {
            setOutcome(new Cancelled(ce.getMessage()));
        } else {
            super.completeExceptionally(failure);
        }
        requests = null;
        scopes = null;
    }

    /** The message of the latest plain request not raised yet (asyncio's _cancel_message). */
    private String pendingMessage() {
        if (requests != null) {
            for (int i = requests.size() - 1; i >= 0; i--) {
                CancelRequest r = requests.get(i);
                if (r.owner == null && r.deliveredAs == null) {
                    return r.message;
                }
            }
        }
        return null;
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
            throw raise(cancellation(null));
        }
        return Awaiting.joinUnwrapped(cf);
    }

    @SuppressWarnings("unchecked")
    private <V> V awaitLoopFuture(LoopFuture<V> lf) throws Exception {
        beforeSuspending(lf);
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
            throw raise(cancellation(null));
        }
        Object o = lf.rawOutcome();
        if (o instanceof Cancelled c) {
            lf.markRetrieved();
            throw raise(cancellation(c.message));
        }
        return (V) Awaiting.report(lf, o);
    }

    private void awaitForeign(CompletableFuture<?> cf) throws Exception {
        beforeSuspending(cf);
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
            throw raise(cancellation(null));
        }
    }

    /** Yields to the loop once (asyncio's {@code await sleep(0)}). */
    void checkpoint() throws Exception {
        beforeSuspending(null);
        loop.carrier().yieldNow(this);
        if (mustCancel) {
            throw raise(cancellation(null));
        }
    }

    /**
     * At every suspension point, before the task gives up the loop: a timeout whose deadline
     * has passed expires now (a zero or past deadline, or a loop that was busy past it, is
     * never missed). Then a pending request cancels the future about to be awaited, as
     * asyncio's Task.__step does, and is raised when that future is done; with nothing to
     * cancel ({@code awaited} null or already done) it is raised at once.
     */
    private void beforeSuspending(CompletionStage<?> awaited) throws Exception {
        if (openTimeouts > 0) {
            long now = loop.time();
            for (int i = 0; i < scopes.size(); i++) {
                if (scopes.get(i) instanceof Timeout t) {
                    t.expireIfDue(now);
                }
            }
        }
        if (mustCancel) {
            if (awaited != null && cancelStage(awaited, pendingMessage())) {
                mustCancel = false;
                return;
            }
            throw raise(cancellation(null));
        }
    }

    /** Raises a pending cancellation (or an overdue timeout) now, without suspending; loop turn. */
    void checkCancelled() throws Exception {
        beforeSuspending(null);
    }

    private static Exception raise(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return (Exception) t;
    }

    /**
     * Raises pending requests, now, at a suspension point; {@code futureMessage} is the message
     * of the awaited future's cancellation, if that is what woke the task. A plain request wins
     * and raises {@link CancelledException} for all pending ones. Otherwise the innermost scope
     * with a pending request decides what its request raises, and the other scopes' requests
     * stay pending for the next suspension point, one at a time, innermost first.
     */
    Throwable cancellation(String futureMessage) {
        mustCancel = false;
        CancelRequest plain = null;
        CancelRequest innermost = null;
        int innermostDepth = -2;
        int pending = 0;
        if (requests != null) {
            for (CancelRequest r : requests) {
                if (r.deliveredAs != null) {
                    continue;
                }
                pending++;
                if (r.owner == null) {
                    plain = r;
                } else {
                    int d = scopes == null ? -1 : scopes.indexOf(r.owner);
                    if (d > innermostDepth) {
                        innermostDepth = d;
                        innermost = r;
                    }
                }
            }
        }
        if (pending == 0) {
            // The awaited future was cancelled by someone else: no request of ours is raised.
            return new CancelledException(futureMessage);
        }
        if (plain != null) {
            CancelledException e = new CancelledException(plain.message != null ? plain.message : futureMessage);
            for (CancelRequest r : requests) {
                if (r.deliveredAs == null) {
                    r.deliveredAs = e;
                }
            }
            return e;
        }
        int others = 0;
        for (CancelRequest r : requests) {
            if (r == innermost) {
                continue;
            }
            if (r.owner != null) {
                int d = scopes == null ? -1 : scopes.indexOf(r.owner);
                if (d > innermostDepth || r.deliveredAs == null) {
                    continue; // withdrawn before this scope's block ends, or raised on its own later
                }
            }
            others++;
        }
        Throwable e = innermost.owner.cancellationRaised(this, others);
        if (e == null) {
            e = new CancelledException(futureMessage);
        }
        innermost.deliveredAs = e;
        if (pending > 1) {
            mustCancel = true;
        }
        return e;
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
