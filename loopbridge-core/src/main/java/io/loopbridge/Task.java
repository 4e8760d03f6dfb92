package io.loopbridge;

import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * <p>Cancellation follows asyncio: {@link #cancel(String)} raises
 * {@link CancelledException} at the task's current or next suspension point (cancelling
 * the future it awaits, if any); {@link #cancelling()} counts pending requests and
 * {@link #uncancel()} withdraws one. A task cannot be completed from outside.
 *
 * <p>This class is thread-safe: {@code cancel} from another thread is forwarded to the loop.
 * A task's outcome is read as for any {@link LoopFuture}; {@link #cancelling()} and
 * {@link #uncancel()} are confined to the task's loop.
 *
 * @param <T> the result type
 */
public final class Task<T> extends LoopFuture<T> implements LoopTasks.Entry, LoopFuture.DoneListener {

    private static final VarHandle SHARED;

    static {
        try {
            SHARED = MethodHandles.lookup().findVarHandle(Task.class, "shared", ContextVar.Context.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The given name, or null: then "Task-" + id, built only when asked for. */
    private final String name;
    private long id;
    private final Callable<T> body;
    /** The creator's SLF4J MDC, installed in the task's thread (null when empty or no MDC). */
    private final Map<String, String> mdc;
    private final TaskCarrier carrier;
    /** The task's own ContextVar values (unused while it runs in {@link #shared}). */
    private Context context;
    /**
     * The context the task runs in when it is not its own values: the one given at creation,
     * one entered with {@link ContextVar.Context#call}, or its own made shareable by
     * {@link #context()}. Null for most tasks, which then pay nothing for it.
     */
    private ContextVar.Context shared;
    Thread thread;
    private int registryIndex = -1;
    /** PORTABLE mode: the baton's state (null in FAST mode). */
    TaskCarrier.Portable.Baton baton;

    // Loop turn only (the loop thread, or this task while it runs).
    /** Requests and scopes; null until the first. */
    private CancelRequests cancels;
    /**
     * {@link #cancelling()} once the task is done (its requests are dropped then), as asyncio
     * keeps the count. Written before the outcome is published; changed only under this.
     */
    private volatile int cancellingWhenDone;
    private CompletionStage<?> waitingOn;
    /** A request is pending that nothing this task waits on will raise: raise it at the next suspension point. */
    private volatile boolean mustCancel;

    private Task(Loop loop, String name, Callable<T> body, Context context) {
        super(loop);
        this.name = name;
        this.body = body;
        this.context = context;
        this.mdc = Mdc.capture();
        this.carrier = TaskCarrier.of(loop.taskMode());
    }

    /**
     * Creates a task of {@code loop} running {@code body} with {@code context}'s ContextVar
     * values; it starts on the loop's next iteration. Loop turn.
     */
    static <T> Task<T> start(Loop loop, String name, Callable<T> body, Context context) {
        return start(loop, name, body, context, null);
    }

    /**
     * As {@link #start(Loop, String, Callable, Context)}, the task running in {@code context}: what
     * it sets there, {@code context} holds, and tasks given the same context share it. Loop turn.
     */
    static <T> Task<T> start(Loop loop, String name, Callable<T> body, ContextVar.Context context) {
        return start(loop, name, body, null, java.util.Objects.requireNonNull(context, "context"));
    }

    private static <T> Task<T> start(Loop loop, String name, Callable<T> body, Context values, ContextVar.Context shared) {
        java.util.Objects.requireNonNull(body, "body");
        loop.checkConfined("createTask");
        if (loop.refusesTasks()) {
            throw new IllegalStateException("cannot create a task on event loop '" + loop.name() + "': it is "
                    + (loop.api().isClosed() ? "closed" : "closing"));
        }
        Task<T> t = new Task<>(loop, name, body, values);
        t.shared = shared;
        t.id = loop.tasks().add(t);
        t.carrier.start(t);
        if (loop.closing()) {
            t.cancel("event loop '" + loop.name() + "' is closing"); // created by a task's cleanup during close
        }
        return t;
    }

    /** The task running on this thread, if any. */
    public static Optional<Task<?>> current() {
        return Optional.ofNullable(currentOrNull());
    }

    /** The task running on this thread, or null: the one way the library asks. */
    static Task<?> currentOrNull() {
        return (Task<?>) Scope.entry();
    }

    /** The task's name ("Task-N" unless given). */
    @Override
    public String name() {
        return name != null ? name : "Task-" + id;
    }

    // ---------------------------------------------------------------- as the loop sees it

    @Override
    public Thread thread() {
        return thread;
    }

    @Override
    public Context values() {
        ContextVar.Context s = shared;
        return s == null ? context : s.context;
    }

    @Override
    public void values(Context c) {
        context = c;
    }

    @Override
    public Scope.Holder sharedValues() {
        return shared;
    }

    /** This task's own thread: its code runs in {@code c} (null: its own values) from now on; returns where it ran before. */
    ContextVar.Context enterContext(ContextVar.Context c) {
        ContextVar.Context before = shared;
        shared = c;
        return before;
    }

    /**
     * The context this task's code runs in (asyncio's {@code Task.get_context}): the one it was
     * created with, or, for a task created without one, its own values, which from this call on
     * live in the returned context (so a task created with it shares them). While the task runs
     * code inside {@link ContextVar.Context#call}, that call's context.
     *
     * <p>Called on the task's loop (its thread, one of its tasks, this task), from any thread
     * while the loop is not running, or once the task is done.
     *
     * @throws IllegalStateException if called from another thread while the loop runs the task
     */
    public ContextVar.Context context() {
        checkLoopTurn("context");
        ContextVar.Context s = shared;
        if (s == null) {
            ContextVar.Context own = ContextVar.Context.ownedBy(this, context);
            // Compare-and-set: two threads asking about a done task get the same context.
            s = SHARED.compareAndSet(this, null, own) ? own : shared;
        }
        return s;
    }

    @Override
    public int registryIndex() {
        return registryIndex;
    }

    @Override
    public void registryIndex(int index) {
        registryIndex = index;
    }

    @Override
    public Throwable takeFailure() {
        if (!isCompletedExceptionally()) {
            return null;
        }
        markRetrieved();
        return ((Failure) rawOutcome()).exception;
    }

    @Override
    public void abandon(String message) {
        loop.tasks().remove(this);
        keepCancellingCount();
        setOutcome(new Cancelled(message));
    }

    /** A future this task awaits is done: give the task its next step. */
    @Override
    public void futureDone(LoopFuture<?> future) {
        carrier.resume(this);
    }

    // ---------------------------------------------------------------- completing

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

    // ---------------------------------------------------------------- cancellation

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return cancel((String) null);
    }

    /**
     * Requests cancellation: {@link CancelledException} with {@code message} is raised at the
     * task's current or next suspension point. Returns false if the task is already done.
     * From a thread outside the loop, while the loop runs, the request is forwarded to the loop
     * and true is returned: if the task finishes first, the request does nothing (a failure
     * of the task stays unread, to be reported if nobody reads it).
     */
    @Override
    public boolean cancel(String message) {
        if (isDone()) {
            markRetrieved(); // as asyncio: whoever cancels a failed task has dealt with it
            return false;
        }
        if (postedCancel(message)) {
            return true;
        }
        request(new CancelRequests.Request(message, null));
        return true;
    }

    /** Loop turn: {@code owner}, a scope of this task, requests its cancellation; null if the task is done. */
    CancelRequests.Request requestCancelBy(CancelRequests.CancelScope owner) {
        if (isDone()) {
            return null;
        }
        CancelRequests.Request r = new CancelRequests.Request(null, owner);
        request(r);
        return r;
    }

    private void request(CancelRequests.Request r) {
        cancels().add(r);
        CompletionStage<?> w = waitingOn;
        if (w != null && LoopFuture.cancelStage(w, r.message)) {
            return; // its completion wakes us, and the request is raised then
        }
        mustCancel = true;
        if (Thread.currentThread() != thread) {
            carrier.resume(this);
        }
    }

    private CancelRequests cancels() {
        CancelRequests c = cancels;
        if (c == null) {
            c = new CancelRequests();
            cancels = c;
        }
        return c;
    }

    /** Loop turn: a scope withdraws its request when its block ends (asyncio's uncancel in __aexit__). */
    void withdraw(CancelRequests.Request r) {
        if (cancels != null) {
            mustCancel = cancels.withdraw(r);
        }
    }

    /** Loop turn: what {@code superseded} was raised for is pending again (see {@link CancelRequests#redeliver}). */
    void redeliver(Throwable superseded) {
        if (cancels != null && cancels.redeliver(superseded)) {
            mustCancel = true;
        }
    }

    /** Whether {@code e}, raised at a suspension point, is a cancellation of this task rather than a failure. */
    boolean isCancellation(Throwable e) {
        return e instanceof CancelledException || (cancels != null && cancels.raised(e));
    }

    void enterScope(CancelRequests.CancelScope scope) {
        cancels().enter(scope);
    }

    void exitScope(CancelRequests.CancelScope scope) {
        if (cancels != null) {
            cancels.exit(scope);
        }
    }

    /**
     * Number of cancellation requests not withdrawn by {@link #uncancel()} (asyncio's
     * Task.cancelling); a done task keeps its last count, as asyncio's does. On the task's loop,
     * from any thread while the loop is not running, or once the task is done.
     *
     * @throws IllegalStateException if called from another thread while the loop runs the task
     */
    public int cancelling() {
        checkLoopTurn("cancelling");
        if (isDone()) {
            return cancellingWhenDone;
        }
        CancelRequests c = cancels;
        return c == null ? 0 : c.count();
    }

    /**
     * Withdraws one cancellation request (the latest plain {@link #cancel} if any, else the
     * latest); returns the remaining count. When none remains, nothing is raised any more; on a
     * done task only the count changes. On the task's loop, from any thread while the loop is
     * not running, or once the task is done.
     *
     * @throws IllegalStateException if called from another thread while the loop runs the task
     */
    public int uncancel() {
        checkLoopTurn("uncancel");
        if (isDone()) {
            synchronized (this) { // a done task may be asked from any thread: only the count changes, as in asyncio
                int n = cancellingWhenDone;
                if (n > 0) {
                    cancellingWhenDone = --n;
                }
                return n;
            }
        }
        CancelRequests c = cancels;
        if (c == null) {
            return 0;
        }
        int left = c.uncancel();
        mustCancel = c.hasPending();
        return left;
    }

    /**
     * For the task's state that only its loop changes (its context, its cancellation count;
     * asyncio's are not thread-safe either): read or changed from another thread while the
     * loop runs the task, it races the loop's own updates. Allowed on the loop, while no thread
     * runs it, or once the task is done.
     */
    private void checkLoopTurn(String method) {
        if (!isDone() && loop.loopThread() != null && !loop.inLoop()) {
            throw new IllegalStateException("Task." + method + "() of " + this + " called from thread '"
                    + Thread.currentThread().getName() + "' while its event loop '" + loop.name()
                    + "' runs it: call it on the loop (in a task or callback of it), e.g. through"
                    + " loop.callSoonThreadsafe, or once the task is done");
        }
    }

    /** Before the outcome is published (whoever sees the task done reads this): the count {@link #cancelling()} keeps. */
    private void keepCancellingCount() {
        CancelRequests c = cancels;
        if (c != null) {
            cancellingWhenDone = c.count();
        }
    }

    // ---------------------------------------------------------------- the body

    void runBody() {
        if (mdc != null) {
            Mdc.install(mdc);
        }
        T value = null;
        Throwable failure = null;
        try {
            if (mustCancel) {
                throw raisePending(null);
            }
            value = body.call();
        } catch (Throwable e) {
            failure = e;
        }
        try {
            finish(value, failure);
        } finally {
            carrier.finished(this);
        }
    }

    /**
     * The one place that decides a task's outcome when its body ends (asyncio's
     * {@code Task.__step}): a body that returns while a cancellation request is still pending
     * ends cancelled; a CancelledException ends it cancelled (with that very exception); any
     * other exception fails it, even with a request pending.
     */
    private void finish(T value, Throwable failure) {
        loop.tasks().remove(this);
        keepCancellingCount();
        if (failure == null && mustCancel) {
            setOutcome(new Cancelled(cancels.pendingMessage()));
        } else if (failure == null) {
            super.complete(value);
        } else if (failure instanceof CancelledException ce) {
            setOutcome(new Cancelled(ce));
        } else {
            super.completeExceptionally(failure);
        }
        cancels = null;
    }

    // ---------------------------------------------------------------- suspension points

    /** Awaits {@code stage} from this task's own thread. */
    @SuppressWarnings("unchecked")
    <V> V await(CompletionStage<V> stage) throws Exception {
        if (stage == this) {
            throw new IllegalStateException("a task cannot await itself: " + this);
        }
        if (stage instanceof LoopFuture<V> lf) {
            Object o = lf.rawOutcome();
            if (o != null) {
                return (V) lf.report(o);
            }
            return awaitLoopFuture(lf);
        }
        CompletableFuture<V> cf = Waiting.asCompletableFuture(stage);
        if (!cf.isDone()) {
            awaitForeign(cf);
        }
        if (cf.isCancelled()) {
            throw raisePending(null);
        }
        return Waiting.joinUnwrapped(cf);
    }

    @SuppressWarnings("unchecked")
    private <V> V awaitLoopFuture(LoopFuture<V> lf) throws Exception {
        beforeSuspending(lf);
        lf.addListener(this);
        waitingOn = lf;
        try {
            while (!lf.isDone() && !mustCancel) {
                carrier.park(this);
            }
        } finally {
            waitingOn = null;
        }
        if (mustCancel) {
            lf.removeListener(this);
            throw raisePending(null);
        }
        Object o = lf.rawOutcome();
        if (o instanceof Cancelled c) {
            lf.markRetrieved();
            if (cancels != null && cancels.hasPending()) {
                throw raisePending(c.message); // we cancelled it: our request is raised
            }
            throw Exceptions.withAwaitSite(c.exception());
        }
        if (cancels != null) {
            // Requests still pending went to lf (a task: its cancel took), which ended without
            // being cancelled: it absorbed them, so they are spent; they still count in
            // cancelling() (asyncio clears _must_cancel when the waiter's cancel() takes).
            cancels.absorbPending();
        }
        return (V) lf.report(o);
    }

    private void awaitForeign(CompletableFuture<?> cf) throws Exception {
        beforeSuspending(cf);
        cf.whenComplete((v, e) -> carrier.resume(this));
        waitingOn = cf;
        try {
            while (!cf.isDone() && !mustCancel) {
                carrier.park(this);
            }
        } finally {
            waitingOn = null;
        }
        if (mustCancel) {
            throw raisePending(null);
        }
    }

    /** Yields to the loop once (asyncio's {@code await sleep(0)}). */
    void checkpoint() throws Exception {
        beforeSuspending(null);
        carrier.yieldNow(this);
        if (mustCancel) {
            throw raisePending(null);
        }
    }

    /** Raises a pending cancellation (or an overdue timeout) now, without suspending; loop turn. */
    void checkCancelled() throws Exception {
        beforeSuspending(null);
    }

    /**
     * At every suspension point, before the task gives up the loop: a timeout whose deadline
     * has passed expires now (a zero or past deadline, or a loop that was busy past it, is
     * never missed). Then a pending request cancels the future about to be awaited, as
     * asyncio's Task.__step does, and is raised when that future is done; with nothing to
     * cancel ({@code awaited} null or already done) it is raised at once.
     */
    private void beforeSuspending(CompletionStage<?> awaited) throws Exception {
        CancelRequests c = cancels;
        if (c != null) {
            c.expireDue(loop.time());
        }
        if (mustCancel) {
            if (awaited != null && cancelStage(awaited, cancels.pendingMessage())) {
                mustCancel = false;
                return;
            }
            throw raisePending(null);
        }
    }

    /** Raises pending requests now (see {@link CancelRequests#raise}); an Error is thrown bare. */
    private Exception raisePending(String futureMessage) {
        CancelRequests.Raised r = cancels == null
                ? new CancelRequests.Raised(new CancelledException(futureMessage), false)
                : cancels.raise(futureMessage);
        mustCancel = r.morePending();
        return Exceptions.rethrow(r.exception());
    }

    // ---------------------------------------------------------------- diagnostics

    /**
     * Where the task's code is now, innermost frame first, without the library's and the JDK's
     * own frames (asyncio's {@code Task.get_stack}): where it is suspended, or, asked by the task
     * itself, where it runs. Empty when the task is done or has not started. Any thread.
     */
    public List<StackTraceElement> stack() {
        return stack(Integer.MAX_VALUE);
    }

    /**
     * As {@link #stack()}, at most the {@code limit} innermost frames. Any thread.
     *
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public List<StackTraceElement> stack(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        Thread t = thread;
        List<StackTraceElement> out = new ArrayList<>();
        if (isDone() || t == null || !t.isAlive()) {
            return out;
        }
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = suspensionFrame(frames) + 1; i < frames.length && out.size() < limit; i++) {
            if (!isJdkOrLibraryFrame(frames[i])) {
                out.add(frames[i]);
            }
        }
        return out;
    }

    /**
     * The index of the frame where a PORTABLE task suspended, or -1: while it is suspended
     * its thread may be running the loop for it (the loop's turn travels with the baton), and
     * the frames above that one are the loop's callbacks, not the task's.
     */
    private static int suspensionFrame(StackTraceElement[] frames) {
        String carrier = TaskCarrier.Portable.class.getName();
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().equals(carrier) && frames[i].getMethodName().equals("park")) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Prints {@link #stack(int) stack(limit)} to {@code out} under a line naming the task, one
     * {@code "\tat "} line per frame as {@link Throwable#printStackTrace(PrintStream)} prints them
     * (asyncio's {@code Task.print_stack}). A task that failed prints its exception's stack
     * trace instead. Any thread.
     *
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public void printStack(int limit, PrintStream out) {
        java.util.Objects.requireNonNull(out, "out");
        List<StackTraceElement> frames = stack(limit);
        Throwable failure = failureNow();
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder();
        if (!frames.isEmpty()) {
            sb.append("Stack for ").append(this).append(" (innermost first):").append(nl);
            for (StackTraceElement e : frames) {
                sb.append("\tat ").append(e).append(nl);
            }
        } else if (failure != null) {
            sb.append("Stack for ").append(this).append(':').append(nl); // the exception's, printed below
        } else {
            sb.append("No stack for ").append(this).append(nl);
        }
        synchronized (out) { // one block, not interleaved with other writers, as printStackTrace does
            out.print(sb);
            if (failure != null) {
                failure.printStackTrace(out);
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Task[").append(name()).append(", ");
        if (isDone()) {
            sb.append(stateName());
        } else if (thread == null || !thread.isAlive()) {
            sb.append("pending start");
        } else {
            sb.append("running");
            if (thread != Thread.currentThread()) {
                List<StackTraceElement> where = stack(1);
                if (!where.isEmpty()) {
                    sb.append(", suspended at ").append(where.get(0));
                }
            }
        }
        return sb.append(']').toString();
    }

    @Override
    String describeFailed() {
        return "Task[" + name() + "]";
    }

    private static boolean isJdkOrLibraryFrame(StackTraceElement e) {
        String module = e.getModuleName();
        if (module != null) {
            return module.startsWith("java.") || module.startsWith("jdk.") || module.equals("io.loopbridge");
        }
        String c = e.getClassName();
        if (c.startsWith("java.") || c.startsWith("jdk.")) {
            return true;
        }
        // On the class path: the library's packages, which user code (and this project's tests)
        // may share.
        String pkg = c.substring(0, Math.max(0, c.lastIndexOf('.')));
        boolean libraryPackage = pkg.equals("io.loopbridge") || pkg.equals("io.loopbridge.streams")
                || pkg.startsWith("io.loopbridge.internal");
        return libraryPackage && !c.matches(".*Tests?(\\$.*)?$");
    }
}
