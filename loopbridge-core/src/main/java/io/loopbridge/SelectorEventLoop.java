package io.loopbridge;

import io.loopbridge.internal.MpscQueue;
import io.loopbridge.internal.Wakeup;
import java.io.IOException;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop (asyncio's BaseEventLoop + BaseSelectorEventLoop).
 *
 * <p>Design. One thread at a time runs {@link #runOnce()}: wait for I/O or a wake-up
 * (bounded by the next timer), move cross-thread posts and due timers to the ready queue,
 * then run exactly the callbacks that were ready at that moment, in FIFO order. Everything
 * the loop owns (ready queue, timers, tasks, selector keys) is touched only by the thread
 * holding the loop's turn: the loop thread, or a task of this loop while it runs. Other
 * threads reach the loop only through {@link #incoming} (a lock-free MPSC queue) and
 * {@link #wakeup}. A task step is just a callback: in FAST mode the JDK hands us the
 * virtual thread's continuation through {@link #scheduleTaskStep}; in PORTABLE mode a
 * callback passes the baton to the task's thread and waits for it back.
 *
 * <p>Lifecycle: IDLE ⇄ RUNNING → CLOSING → CLOSED. Closing refuses new cross-thread posts,
 * runs what was already accepted, cancels and drains tasks, then releases resources.
 */
final class SelectorEventLoop implements EventLoop {
    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
    private static final AtomicLong LOOP_IDS = new AtomicLong();
    /** How long {@link #close()} lets cancelled tasks finish their cleanup. */
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    enum State { IDLE, RUNNING, CLOSING, CLOSED }

    /** Cross-thread posts run per iteration at most (the rest wait one iteration). */
    private static final int INCOMING_BATCH = 4096;

    private final String name;
    private final boolean debug;
    private final long slowCallbackNanos;
    private final long idleSpinNanos;
    private final LoopClock clock;
    private final VirtualClock virtualClock;
    private final Runnable clockListener;
    private final TaskMode taskMode;
    private final TaskCarrier carrier;

    private final ArrayDeque<Callback> ready = new ArrayDeque<>();
    private final MpscQueue<Callback> incoming = new MpscQueue<>();
    private final TimerHeap timers = new TimerHeap();
    private final Wakeup wakeup = new Wakeup();
    private final Scope loopScope = new Scope(this, null, null);

    private volatile State state = State.IDLE;
    /** The thread inside runForever, or null. */
    private volatile Thread thread;
    private boolean stopping;
    private final IoSelector ioSelector;

    private volatile LoopExceptionHandler exceptionHandler;
    private final Executor configuredExecutor;
    private ExecutorService ownedExecutor;
    private final CapacityLimiter defaultLimiter;

    // Blocked-loop watchdog (BlockedLoopWatchdog reads these from its own thread).
    private final long blockedThresholdNanos;
    private volatile long stepStart;
    private volatile long stepSeq;
    /** {@link #runningTask}, published for the watchdog's thread (written only when it watches). */
    volatile Task<?> watchedTask;
    long lastReportedStep = -1;

    /** Every task not yet finished: the loop's strong reference (no vanishing tasks). */
    private final ArrayList<Task<?>> tasks = new ArrayList<>();
    private long taskIds;
    /** Failed tasks nobody has read yet (small records, not the tasks: these may be collected). */
    private final java.util.Set<FailureWatch> unretrieved = ConcurrentHashMap.newKeySet();

    SelectorEventLoop(EventLoop.Builder b) {
        this.name = b.name != null ? b.name : "loop-" + LOOP_IDS.incrementAndGet();
        this.ioSelector = new IoSelector(name);
        this.debug = b.debug;
        this.slowCallbackNanos = b.slowCallbackDuration.toNanos();
        this.idleSpinNanos = b.idleSpin.toNanos();
        this.clock = b.clock;
        this.virtualClock = b.clock instanceof VirtualClock vc ? vc : null;
        this.clockListener = virtualClock != null ? wakeup::wake : null;
        if (virtualClock != null) {
            virtualClock.onAdvance(clockListener);
        }
        TaskMode mode = b.taskMode != null ? b.taskMode : TaskMode.best();
        this.taskMode = mode;
        this.carrier = mode == TaskMode.FAST ? new TaskCarrier.Fast(this) : new TaskCarrier.Portable(this);
        this.configuredExecutor = b.defaultExecutor;
        this.defaultLimiter = new CapacityLimiter(b.defaultThreadLimit);
        Duration threshold = b.blockedLoopThreshold != null ? b.blockedLoopThreshold
                : debug ? Duration.ofSeconds(1) : null;
        this.blockedThresholdNanos = threshold == null ? 0 : threshold.toNanos();
    }

    long blockedThresholdNanos() {
        return blockedThresholdNanos;
    }

    long stepStartNanos() {
        return stepStart;
    }

    long stepSeq() {
        return stepSeq;
    }

    /** The limiter {@link Threads#toThread} uses when given none. */
    CapacityLimiter defaultLimiter() {
        return defaultLimiter;
    }

    // ---------------------------------------------------------------- identity

    static SelectorEventLoop runningLoop() {
        Scope s = Scope.current();
        return s == null ? null : s.loop;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TaskMode taskMode() {
        return taskMode;
    }

    boolean debug() {
        return debug;
    }

    TaskCarrier carrier() {
        return carrier;
    }

    @Override
    public boolean inLoop() {
        Scope s = Scope.current();
        return s != null && s.loop == this;
    }

    Thread loopThread() {
        return thread;
    }

    /** Debug-mode check for loop-confined methods. */
    void checkConfined(String method) {
        if (!debug) {
            return;
        }
        Thread t = thread;
        if (t != null && !inLoop()) {
            throw new IllegalStateException("EventLoop." + method + "() of loop '" + name + "' called from thread '"
                    + Thread.currentThread().getName() + "' while the loop runs in thread '" + t.getName()
                    + "'; it is confined to the loop: use callSoonThreadsafe or Threads.runCoroutineThreadsafe");
        }
    }

    private void checkOpen(String what) {
        State s = state;
        if (s == State.CLOSED || s == State.CLOSING) {
            throw new RejectedExecutionException(what + " on event loop '" + name + "' which is " + s.name().toLowerCase());
        }
    }

    // ---------------------------------------------------------------- scheduling

    @Override
    public Handle callSoon(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("callSoon");
        checkOpen("callSoon");
        Callback cb = new Callback(callback, Scope.currentContext());
        ready.add(cb);
        return cb;
    }

    @Override
    public Handle callSoonThreadsafe(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkOpen("callSoonThreadsafe");
        Callback cb = new Callback(callback, Scope.currentContext());
        incoming.offer(cb);
        wakeup.wake();
        if (state.compareTo(State.CLOSING) >= 0) {
            confirmAccepted(cb);
        }
        return cb;
    }

    /**
     * A post raced close(): close runs everything it can still find in {@link #incoming}. Wait
     * for it to finish, then tell the caller if this callback was left behind.
     */
    private void confirmAccepted(Callback cb) {
        while (state != State.CLOSED) {
            Thread.yield(); // close() is bounded; this rare path only waits for it
        }
        if (!cb.taken) {
            throw new RejectedExecutionException("callSoonThreadsafe raced close() of event loop '" + name
                    + "': the callback was not run because the loop is closed");
        }
    }

    @Override
    public void execute(Runnable command) {
        callSoonThreadsafe(command);
    }

    /**
     * Internal scheduling that never throws: from the loop's turn straight into the ready
     * queue, else through the MPSC queue. Used for done-callbacks and task steps.
     */
    void scheduleInternal(Callback cb) {
        Thread t = Thread.currentThread();
        if (t == thread || (t.isVirtual() && inLoop())) {
            ready.add(cb);
            return;
        }
        if (state == State.CLOSED) {
            log.warn("event loop '{}' is closed; dropping {}", name, cb);
            return;
        }
        incoming.offer(cb);
        wakeup.wake();
    }

    /**
     * Schedules a step of task {@code t}: in FAST mode the JDK's continuation (the JDK calls
     * this from any thread), in PORTABLE mode the baton hand-off. Never throws.
     */
    void scheduleTaskStep(Task<?> t, Runnable step) {
        scheduleInternal(new TaskStep(step, t));
    }

    /** One step of one task: the loop records whose step it runs. */
    static final class TaskStep extends Callback {
        final Task<?> task;

        TaskStep(Runnable fn, Task<?> task) {
            super(fn, null);
            this.task = task;
        }
    }

    /**
     * The task whose step runs right now; loop thread only (read by Scope.current from the FAST
     * task's virtual thread on the same carrier, and copied to {@link #watchedTask}).
     */
    Task<?> runningTask;

    @Override
    public TimerHandle callLater(Duration delay, Runnable callback) {
        Objects.requireNonNull(delay, "delay");
        long d = delay.isNegative() ? 0 : saturatedNanos(delay);
        return callAt(saturatedAdd(clock.nanoTime(), d), callback);
    }

    @Override
    public TimerHandle callAt(long deadlineNanos, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("callAt");
        checkOpen("callAt");
        TimerCallback cb = new TimerCallback(callback, Scope.currentContext(), this, deadlineNanos);
        timers.add(cb);
        return cb;
    }

    int timerCount() {
        return timers.size();
    }

    void timerCancelled(TimerCallback cb) {
        if (inLoop() || thread == null) {
            timers.onCancel();
        }
    }

    @Override
    public long time() {
        return clock.nanoTime();
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE / 2 : r;
    }

    // ---------------------------------------------------------------- futures and tasks

    @Override
    public <T> LoopFuture<T> createFuture() {
        return new LoopFuture<>(this);
    }

    @Override
    public <T> Task<T> createTask(Callable<T> body) {
        return createTask(null, body);
    }

    @Override
    public <T> Task<T> createTask(String taskName, Callable<T> body) {
        return createTask(taskName, body, Scope.currentContext());
    }

    /** A task that runs in {@code context} (the caller's ContextVar values unless given). */
    <T> Task<T> createTask(String taskName, Callable<T> body, Context context) {
        Objects.requireNonNull(body, "body");
        checkConfined("createTask");
        if (state.compareTo(State.CLOSING) >= 0) {
            throw new IllegalStateException("cannot create a task on event loop '" + name + "': it is "
                    + state.name().toLowerCase());
        }
        Task<T> t = new Task<>(this, taskName, ++taskIds, body, context);
        tasks.add(t);
        t.registryIndex = tasks.size() - 1;
        carrier.start(t);
        return t;
    }

    /** Drops a finished task from the registry (swap-remove); loop turn only. */
    void taskFinished(Task<?> t) {
        int i = t.registryIndex;
        if (i < 0) {
            return;
        }
        Task<?> last = tasks.remove(tasks.size() - 1);
        if (last != t) {
            tasks.set(i, last);
            last.registryIndex = i;
        }
        t.registryIndex = -1;
    }

    /** Tasks not yet finished (a snapshot); loop turn only. */
    List<Task<?>> allTasks() {
        return new ArrayList<>(tasks);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> LoopFuture<T> wrap(CompletionStage<T> stage) {
        Objects.requireNonNull(stage, "stage");
        if (stage instanceof LoopFuture<T> lf && lf.loop == this) {
            return lf;
        }
        LoopFuture<T> f = new LoopFuture<>(this);
        stage.whenComplete((v, e) -> scheduleInternal(new Callback(() -> {
            if (e != null) {
                f.completeExceptionally(Awaiting.unwrap(e));
            } else {
                f.complete(v);
            }
        }, null)));
        return f;
    }

    @Override
    public <T> LoopFuture<T> runInExecutor(Executor executor, Callable<T> work) {
        Objects.requireNonNull(work, "work");
        Executor ex = executor != null ? executor : defaultExecutor();
        LoopFuture<T> f = new LoopFuture<>(this);
        Context ctx = Scope.currentContext();
        ex.execute(() -> {
            Scope prev = Scope.current();
            Scope.CURRENT.set(new Scope(null, null, ctx));
            try {
                T v = work.call();
                scheduleInternal(new Callback(() -> f.complete(v), null));
            } catch (Throwable e) {
                scheduleInternal(new Callback(() -> f.completeExceptionally(e), null));
            } finally {
                Scope.CURRENT.set(prev);
            }
        });
        return f;
    }

    synchronized Executor defaultExecutor() {
        if (configuredExecutor != null) {
            return configuredExecutor;
        }
        if (ownedExecutor == null) {
            if (state.compareTo(State.CLOSING) >= 0) {
                throw new RejectedExecutionException("event loop '" + name + "' is closed; its default executor is gone");
            }
            // Not Thread.ofVirtual(): started from a FAST task, it would inherit the loop as scheduler.
            ownedExecutor = Executors.newThreadPerTaskExecutor(
                    io.loopbridge.internal.VirtualThreads.defaultSchedulerFactory(name + "-worker-"));
        }
        return ownedExecutor;
    }

    // ---------------------------------------------------------------- running

    @Override
    public void runForever() {
        Thread me = Thread.currentThread();
        State s = state;
        if (s == State.CLOSED || s == State.CLOSING) {
            throw new IllegalStateException("event loop '" + name + "' is " + s.name().toLowerCase() + "; create a new one");
        }
        if (s == State.RUNNING) {
            throw new IllegalStateException("event loop '" + name + "' is already running in thread '"
                    + (thread != null ? thread.getName() : "?") + "'");
        }
        Scope prev = Scope.current();
        if (prev != null && prev.loop != null) {
            throw new IllegalStateException("cannot run event loop '" + name + "' in thread '" + me.getName()
                    + "': event loop '" + prev.loop.name + "' is already running in it"
                    + (prev.task != null ? " (inside " + prev.task.name() + ")" : "")
                    + "; await the work instead, or run the loop in another thread (EventThread)");
        }
        if (taskMode == TaskMode.FAST && me.isVirtual()) {
            throw new IllegalStateException("event loop '" + name + "' uses TaskMode.FAST, whose tasks need a platform "
                    + "carrier thread, but runForever() was called on virtual thread '" + me + "'; "
                    + "build the loop with taskMode(TaskMode.PORTABLE) to run it on a virtual thread");
        }
        thread = me;
        state = State.RUNNING;
        Scope.CURRENT.set(loopScope);
        if (taskMode == TaskMode.FAST) {
            Scope.carrierStarted(me, this);
        }
        if (blockedThresholdNanos > 0) {
            BlockedLoopWatchdog.watch(this);
        }
        try {
            while (!stopping) {
                runOnce();
            }
        } finally {
            if (taskMode == TaskMode.FAST) {
                Scope.carrierStopped(me);
            }
            if (blockedThresholdNanos > 0) {
                BlockedLoopWatchdog.unwatch(this);
            }
            stopping = false;
            loopScope.context = null;
            if (prev == null) {
                Scope.CURRENT.remove();
            } else {
                Scope.CURRENT.set(prev);
            }
            thread = null;
            if (state == State.RUNNING) {
                state = State.IDLE;
            }
        }
    }

    @Override
    public <T> T runUntilComplete(CompletionStage<T> future) throws Exception {
        LoopFuture<T> f = wrap(future);
        // Stop as soon as it is done, even if it already is.
        f.addWaiter(new LoopFuture.Waiter() {
            @Override
            void fire(LoopFuture<?> done) {
                scheduleInternal(new Callback(() -> stopping = true, null));
            }
        });
        runForever();
        if (!f.isDone()) {
            throw new IllegalStateException("event loop '" + name + "' stopped before the future completed: " + f);
        }
        return f.result();
    }

    @Override
    public <T> T runUntilComplete(Callable<T> body) throws Exception {
        return runUntilComplete(createTask(body));
    }

    @Override
    public void stop() {
        checkConfined("stop");
        stopping = true;
    }

    @Override
    public LoopStats stats() {
        checkConfined("stats");
        return new LoopStats(ready.size(), tasks.size(), timers.size(), ioSelector.registeredChannelCount());
    }

    @Override
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    @Override
    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /**
     * One iteration (asyncio's _run_once): poll, collect, run. This is the only place where
     * callbacks are actually called; each callback that is ready when the iteration starts
     * runs exactly once, and ones it schedules wait for the next iteration.
     */
    private void runOnce() {
        long timeout;
        if (!ready.isEmpty() || stopping) {
            timeout = 0;
        } else {
            TimerCallback next = timers.peek();
            timeout = next == null ? -1 : Math.max(0, next.when - clock.nanoTime());
        }
        if (timeout != 0) {
            sleep(timeout);
        } else if (ioSelector.selectorOrNull() != null) {
            select(0);
        }
        if (timers.size() > 0) {
            long now = clock.nanoTime();
            TimerCallback t;
            while ((t = timers.peek()) != null && t.when - now <= 0) {
                ready.add(timers.poll());
            }
        }
        for (int n = ready.size(); n > 0; n--) {
            run(ready.poll());
        }
        // Cross-thread posts run straight from their queue (no copy into the ready deque),
        // a bounded batch per iteration so timers and I/O keep their turns under a flood.
        Callback cb;
        for (int n = INCOMING_BATCH; n > 0 && (cb = incoming.poll()) != null; n--) {
            run(cb);
        }
    }

    private void sleep(long timeoutNanos) {
        if (idleSpinNanos > 0 && virtualClock == null && spinForWork(timeoutNanos)) {
            return;
        }
        Selector selector = ioSelector.selectorOrNull();
        wakeup.prepareToSleep(thread, selector);
        try {
            if (!incoming.isEmpty() || stopping) {
                return;
            }
            long t = timeoutNanos;
            if (virtualClock != null && t > 0) {
                if (virtualClock.isAutoAdvancing()) {
                    virtualClock.advanceTo(clock.nanoTime() + t);
                    return;
                }
                t = -1;
            }
            if (selector != null) {
                select(t < 0 ? -1 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(t + 999_999)));
            } else if (t < 0) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, t);
            }
        } finally {
            wakeup.awake();
        }
    }

    /** Polls briefly for cross-thread work before a real sleep; true if some arrived. */
    private boolean spinForWork(long timeoutNanos) {
        long spin = timeoutNanos < 0 ? idleSpinNanos : Math.min(idleSpinNanos, timeoutNanos);
        long end = System.nanoTime() + spin;
        do {
            if (!incoming.isEmpty()) {
                if (incoming.isLinking()) {
                    // A producer was preempted mid-offer: give it the CPU rather than sleep.
                    Thread.yield();
                }
                return true;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - end < 0);
        return false;
    }

    private void select(long millis) {
        try {
            ioSelector.select(millis, ready);
        } catch (IOException e) {
            callExceptionHandler(new ExceptionContext("selector failed on loop '" + name + "'", e, ioSelector.selectorOrNull()));
        }
    }

    @Override
    public void addReader(java.nio.channels.SelectableChannel channel, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("addReader");
        checkOpen("addReader");
        ioSelector.setReader(channel, new Callback(callback, Scope.currentContext()));
    }

    @Override
    public boolean removeReader(java.nio.channels.SelectableChannel channel) {
        checkConfined("removeReader");
        return ioSelector.unwatch(channel, true);
    }

    @Override
    public void addWriter(java.nio.channels.SelectableChannel channel, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("addWriter");
        checkOpen("addWriter");
        ioSelector.setWriter(channel, new Callback(callback, Scope.currentContext()));
    }

    @Override
    public boolean removeWriter(java.nio.channels.SelectableChannel channel) {
        checkConfined("removeWriter");
        return ioSelector.unwatch(channel, false);
    }

    /** Number of channels registered with the selector and not cancelled (for leak checks). */
    int registeredChannelCount() {
        return ioSelector.registeredChannelCount();
    }

    /** The loop's selector, opened on first use. Loop only. */
    Selector selector() {
        return ioSelector.selector();
    }

    private void run(Callback cb) {
        cb.taken = true;
        if (cb.isCancelled()) {
            return;
        }
        loopScope.context = cb.context;
        long t0 = debug ? System.nanoTime() : 0;
        if (blockedThresholdNanos > 0) {
            stepSeq++;
            stepStart = System.nanoTime();
        }
        Task<?> prevTask = runningTask;
        if (cb instanceof TaskStep ts) {
            runningTask = ts.task;
        }
        if (blockedThresholdNanos > 0) {
            watchedTask = runningTask;
        }
        try {
            cb.fn.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            callExceptionHandler(new ExceptionContext("Exception in callback " + cb.fn, e, cb));
        } finally {
            runningTask = prevTask;
        }
        if (blockedThresholdNanos > 0) {
            stepStart = 0;
        }
        if (debug) {
            long dt = System.nanoTime() - t0;
            if (dt > slowCallbackNanos) {
                log.warn("Executing {} took {} ms on event loop '{}'", cb.fn, dt / 1_000_000, name);
            }
        }
    }

    // ---------------------------------------------------------------- exceptions

    @Override
    public void setExceptionHandler(LoopExceptionHandler handler) {
        this.exceptionHandler = handler;
    }

    @Override
    public void callExceptionHandler(ExceptionContext context) {
        LoopExceptionHandler h = exceptionHandler;
        if (h != null) {
            try {
                h.handle(this, context);
                return;
            } catch (Throwable e) {
                log.error("Unhandled error in exception handler of event loop '{}' (context: {})", name, context, e);
            }
        }
        defaultExceptionHandler(context);
    }

    private void defaultExceptionHandler(ExceptionContext c) {
        log.error("{} (event loop '{}', source: {})", c.message(), name, c.source(), c.exception());
        io.loopbridge.internal.UnhandledExceptions.report(c.message(), c.exception());
    }

    /**
     * A task failed and nobody has looked at its exception yet: report it when the task is
     * garbage-collected or when this loop closes, unless someone reads it first.
     */
    void watchUnretrieved(LoopFuture<?> f, Throwable e) {
        if (!(f instanceof Task<?>)) {
            return;
        }
        FailureWatch w = new FailureWatch(this, f.toString(), e);
        f.watch = w;
        if (f.retrieved) {
            return;
        }
        unretrieved.add(w);
        FailureWatch.CLEANER.register(f, w);
    }

    void unwatch(FailureWatch w) {
        unretrieved.remove(w);
    }

    private void reportUnretrieved() {
        for (FailureWatch w : new ArrayList<>(unretrieved)) {
            w.run();
        }
        unretrieved.clear();
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() {
        State s = state;
        if (s == State.CLOSED) {
            return;
        }
        if (s == State.RUNNING) {
            throw new IllegalStateException("cannot close event loop '" + name + "' while it is running in thread '"
                    + (thread != null ? thread.getName() : "?") + "'; call stop() first");
        }
        if (s == State.CLOSING) {
            return;
        }
        Scope prev = Scope.current();
        if (prev != null && prev.loop != null) {
            throw new IllegalStateException("cannot close event loop '" + name + "' from inside a running loop ('"
                    + prev.loop.name + "')");
        }
        state = State.CLOSING;
        Thread me = Thread.currentThread();
        thread = me;
        Scope.CURRENT.set(loopScope);
        if (taskMode == TaskMode.FAST) {
            Scope.carrierStarted(me, this);
        }
        try {
            drainForClose();
        } finally {
            if (taskMode == TaskMode.FAST) {
                Scope.carrierStopped(me);
            }
            Scope.CURRENT.remove();
            if (prev != null) {
                Scope.CURRENT.set(prev);
            }
            thread = null;
            reportUnretrieved();
            shutdownOwnedExecutor();
            try {
                ioSelector.close();
            } catch (IOException e) {
                log.warn("closing the selector of event loop '{}' failed", name, e);
            }
            if (virtualClock != null) {
                virtualClock.removeListener(clockListener);
            }
            // Whatever is still in incoming after this point belongs to a racing producer that will see CLOSED.
            Callback cb;
            while ((cb = incoming.poll()) != null) {
                ready.add(cb);
            }
            runReadyOnce();
            state = State.CLOSED;
        }
    }

    /** Runs accepted callbacks, cancels tasks and lets them finish, within a bound. */
    private void drainForClose() {
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        boolean cancelled = false;
        while (true) {
            Callback cb;
            while ((cb = incoming.poll()) != null) {
                ready.add(cb);
            }
            if (!tasks.isEmpty() && !cancelled) {
                cancelled = true;
                for (Task<?> t : new ArrayList<>(tasks)) {
                    t.cancel("event loop '" + name + "' is closing");
                }
            }
            if (ready.isEmpty() && tasks.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                log.warn("event loop '{}' closed with {} task(s) that did not finish within {} ms of cancellation: {}",
                        name, tasks.size(), TimeUnit.NANOSECONDS.toMillis(CLOSE_DRAIN_NANOS), tasks);
                return;
            }
            if (ready.isEmpty()) {
                // Tasks are finishing elsewhere (a worker thread, a timer): wait for their wake-up.
                TimerCallback next = timers.peek();
                long wait = next == null ? TimeUnit.MILLISECONDS.toNanos(10) : Math.max(0, next.when - clock.nanoTime());
                if (virtualClock != null && next != null) {
                    virtualClock.advanceTo(next.when);
                    wait = 0;
                }
                if (wait > 0) {
                    wakeup.prepareToSleep(thread, null);
                    if (incoming.isEmpty()) {
                        LockSupport.parkNanos(this, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(10)));
                    }
                    wakeup.awake();
                }
                long now = clock.nanoTime();
                TimerCallback t;
                while ((t = timers.peek()) != null && t.when - now <= 0) {
                    ready.add(timers.poll());
                }
            }
            runReadyOnce();
        }
    }

    private void runReadyOnce() {
        for (int n = ready.size(); n > 0; n--) {
            run(ready.poll());
        }
    }

    private synchronized void shutdownOwnedExecutor() {
        if (ownedExecutor == null) {
            return;
        }
        ownedExecutor.shutdown();
        try {
            if (!ownedExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("default executor of event loop '{}' still had running work after 5 s; not waiting longer", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "EventLoop[" + name + ", " + state.name().toLowerCase() + ", " + taskMode + ", tasks=" + tasks.size() + "]";
    }
}
