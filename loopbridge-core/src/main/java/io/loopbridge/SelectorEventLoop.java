package io.loopbridge;

import io.loopbridge.internal.InspectableLoop;
import io.loopbridge.internal.MpscQueue;
import io.loopbridge.internal.OpenLoops;
import io.loopbridge.internal.UnhandledExceptions;
import io.loopbridge.internal.VirtualThreads;
import io.loopbridge.internal.Wakeup;
import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop (asyncio's BaseEventLoop + BaseSelectorEventLoop): a ready queue, timers, a
 * selector, a wake-up, and run/stop/close — nothing else. Tasks, futures and bridges are
 * built above it and reach it only through {@link Loop}.
 *
 * <p>Design. One thread at a time holds the loop's <em>turn</em> ({@link #enterTurn}): the
 * thread in {@link #runForever}, or the thread closing the loop. It runs {@link #runOnce()}:
 * wait for I/O or a wake-up (bounded by the next timer), move due timers to the ready queue,
 * then run exactly the callbacks that were ready at that moment, in FIFO order. Everything
 * the loop owns is touched only by the turn's holder, or by a task whose step it runs. Other
 * threads reach the loop only through {@link #incoming} (a lock-free MPSC queue) and
 * {@link #wakeup}. A task step is a callback like any other ({@link CallbackRunner.TaskStep}): the loop only
 * records whose step runs.
 *
 * <p>Lifecycle: IDLE ⇄ RUNNING → CLOSING → CLOSED. Closing refuses new cross-thread posts,
 * runs what was already accepted, lets tasks finish or cancels them (the same iterations as
 * a running loop), then releases its resources.
 */
final class SelectorEventLoop implements EventLoop, Loop, InspectableLoop {
    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
    private static final AtomicLong LOOP_IDS = new AtomicLong();
    /** How long closing lets cancelled tasks finish their cleanup. */
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Cross-thread posts run per iteration at most (the rest wait one iteration). */
    private static final int INCOMING_BATCH = 4096;
    /** The longest a closing loop sleeps at once while tasks finish elsewhere. */
    private static final long CLOSE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private enum State { IDLE, RUNNING, CLOSING, CLOSED }

    /** The given name, or null: then "loop-" + id, built when first asked for (most loops of Async.run never are). */
    private final String givenName;
    private final long id;
    private String name;
    private final boolean debug;
    private final LoopClock clock;
    private final VirtualClock virtualClock;
    private final Runnable clockListener;
    private final TaskMode taskMode;
    private final int defaultThreadLimit;

    private final ArrayDeque<Callback> ready = new ArrayDeque<>();
    private final MpscQueue<Callback> incoming = new MpscQueue<>();
    private final TimerHeap timers = new TimerHeap();
    private final Wakeup wakeup = new Wakeup();
    private final IoSelector ioSelector;
    private final IdleWait idle;
    private final LoopTasks tasks = new LoopTasks();
    /** How long close() lets cancelled tasks finish their cleanup; tests shorten it. */
    volatile long closeDrainNanos = CLOSE_DRAIN_NANOS;
    private final DefaultExecutor executor;
    private final CallbackRunner runner;

    private volatile State state = State.IDLE;
    /**
     * The thread running the loop's code now, or null: the turn's own thread, or (PORTABLE) the
     * thread of the task it relayed the turn to ({@link #passTurn}).
     */
    private volatile Thread thread;
    /** Serialises the sweeps of the cross-thread queue once CLOSED ({@link #dropLeftovers}). */
    private final Object dropping = new Object();
    /** The thread that entered the turn (in {@link #runWhile} or closing), or null. */
    private Thread home;
    /**
     * PORTABLE: set by the task's thread that ends a relayed turn, to give it back to
     * {@link #home}. Not derived from {@link #thread}: the home thread polls it, and polling
     * {@code thread} (written with the iteration's other state) made {@code Async.run} 2-3x slower.
     */
    private volatile boolean homeHeld;
    /** Whether task steps relay the turn to their task's thread (PORTABLE). */
    private final boolean relays;
    private static final Runnable NOTHING = () -> { };
    /** PORTABLE: the turn's own thread was interrupted while it relayed the turn, and wants it back. */
    private volatile boolean homeWanted;
    /** While {@link #runWhile} runs: its condition and sleep bound, for the task threads that run its iterations. */
    private BooleanSupplier turnMore;
    private long turnBound;
    /** What escaped a relayed iteration on a task's thread (only a VirtualMachineError can), for {@link #home} to throw. */
    private Throwable relayFailure;
    /** Callbacks of the running iteration still to take from {@link #ready}. */
    private int iterationReady;
    /** Cross-thread posts the running iteration may still take from {@link #incoming}. */
    private int iterationIncoming;
    private boolean stopping;
    private volatile LoopExceptionHandler exceptionHandler;
    private final LoopLocal.Slots locals = new LoopLocal.Slots();

    SelectorEventLoop(EventLoop.Builder b) {
        this.givenName = b.name;
        this.id = b.name != null ? 0 : LOOP_IDS.incrementAndGet();
        this.ioSelector = new IoSelector(this::name);
        this.idle = new IdleWait(b.idleSpin.toNanos(), b.clock, wakeup, incoming, ioSelector);
        this.debug = b.debug;
        this.clock = b.clock;
        this.virtualClock = b.clock instanceof VirtualClock vc ? vc : null;
        this.clockListener = virtualClock != null ? wakeup::wake : null;
        if (virtualClock != null) {
            virtualClock.onAdvance(clockListener);
        }
        this.taskMode = b.taskMode != null ? b.taskMode : TaskMode.best();
        this.relays = taskMode == TaskMode.PORTABLE;
        if (b.taskMode == null && taskMode == TaskMode.PORTABLE) {
            TaskMode.reportPortableFallback();
        }
        if (taskMode == TaskMode.FAST && !VirtualThreads.customSchedulerAvailable()) {
            throw new IllegalStateException("TaskMode.FAST needs --add-opens java.base/java.lang=ALL-UNNAMED "
                    + "(or =io.loopbridge on the module path): " + VirtualThreads.unavailableReason());
        }
        this.defaultThreadLimit = b.defaultThreadLimit;
        this.executor = new DefaultExecutor(this::name, b.defaultExecutor);
        Duration threshold = b.blockedLoopThreshold;
        this.runner = new CallbackRunner(this, taskMode, debug ? b.slowCallbackDuration.toNanos() : -1,
                threshold == null ? 0 : threshold.toNanos());
        LoopEvents.register();
        OpenLoops.opened(this);
    }

    // ---------------------------------------------------------------- identity

    @Override
    public EventLoop api() {
        return this;
    }

    @Override
    public String name() {
        String n = name;
        if (n == null) {
            n = givenName != null ? givenName : "loop-" + id;
            name = n; // a benign race: every thread builds the same string
        }
        return n;
    }

    @Override
    public TaskMode taskMode() {
        return taskMode;
    }

    @Override
    public boolean debug() {
        return debug;
    }

    @Override
    public boolean inLoop() {
        Thread t = Thread.currentThread();
        if (t == thread) {
            return true;
        }
        LoopTasks.Entry e = runner.runningEntry;
        return e != null && e.thread() == t;
    }

    @Override
    public boolean closing() {
        return state.compareTo(State.CLOSING) >= 0;
    }

    /** Whether new tasks are refused: the loop is closed, or closing and the caller is outside it. */
    @Override
    public boolean refusesTasks() {
        State s = state;
        return s == State.CLOSED || (s == State.CLOSING && !inLoop());
    }

    @Override
    public Thread loopThread() {
        return thread;
    }

    @Override
    public void checkConfined(String method) {
        if (!debug) {
            return;
        }
        Thread t = thread;
        if (t != null && !inLoop()) {
            throw new IllegalStateException("EventLoop." + method + "() of loop '" + name() + "' called from thread '"
                    + Thread.currentThread().getName() + "' while the loop runs in thread '" + t.getName()
                    + "'; it is confined to the loop: use callSoonThreadsafe or Threads.runCoroutineThreadsafe");
        }
    }

    /** Refuses work on a closed loop, and work from outside a closing one (its own tasks still clean up). */
    private void checkOpen(String what) {
        State s = state;
        if (s == State.CLOSED || (s == State.CLOSING && !inLoop())) {
            throw new RejectedExecutionException(what + " on event loop '" + name() + "' which is " + s.name().toLowerCase());
        }
    }

    // ---------------------------------------------------------------- scheduling

    @Override
    public Handle callSoon(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("callSoon");
        checkOpen("callSoon");
        Callback cb = new Callback(callback, Scope.context());
        if (thread == null) {
            // The loop is not running: what was posted before (a future's done-callbacks, a
            // callSoonThreadsafe) keeps its place ahead of this callback, as in asyncio's one
            // ready queue. With no turn running, this confined caller is the queue's only consumer.
            moveIncomingToReady();
        }
        ready.add(cb);
        return cb;
    }

    @Override
    public Handle callSoonThreadsafe(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkOpen("callSoonThreadsafe");
        Callback cb = new Callback(callback, Scope.context());
        if (inLoop()) {
            // From the loop's own code: as callSoon, so it keeps its place after earlier callSoon
            // calls and waits for the next iteration; and a closing loop running this code is the
            // one that takes it, so there is nothing to confirm (waiting for that would never end).
            ready.add(cb);
            return cb;
        }
        incoming.offer(cb);
        wakeup.wake();
        if (state.compareTo(State.CLOSING) >= 0) {
            confirmAccepted(cb);
        }
        return cb;
    }

    /**
     * A post raced close(), which runs everything it can still find in {@link #incoming} before
     * it reaches CLOSED: wait for that, then tell the caller if this callback was left behind.
     */
    private void confirmAccepted(Callback cb) {
        while (state != State.CLOSED && !cb.taken) {
            Thread.yield(); // close() is bounded; this rare path only waits for it
        }
        if (!cb.taken) {
            throw new RejectedExecutionException("callSoonThreadsafe raced close() of event loop '" + name()
                    + "': the callback was not run because the loop is closed");
        }
    }

    @Override
    public void execute(Runnable command) {
        callSoonThreadsafe(command);
    }

    @Override
    public void post(Callback cb) {
        if (inLoop()) {
            ready.add(cb);
            return;
        }
        if (state == State.CLOSED) {
            drop(cb);
            return;
        }
        incoming.offer(cb);
        wakeup.wake();
        if (state == State.CLOSED) {
            // Close's last sweep of the queue may have come before this offer: nobody else takes it.
            dropLeftovers();
        }
    }

    /**
     * Once CLOSED: what is still in the cross-thread queue will never run; each is dropped
     * visibly. Run by close right after it reaches CLOSED and by a post that finds CLOSED after
     * its offer (then close's sweep may have missed it); one at a time, so the queue keeps one
     * consumer. A producer caught between its swap and its link is waited for.
     */
    private void dropLeftovers() {
        synchronized (dropping) {
            Callback cb;
            while ((cb = incoming.poll()) != null || incoming.isLinking()) {
                if (cb == null) {
                    Thread.yield(); // the producer finishes linking; its callback is taken next
                } else {
                    drop(cb);
                }
            }
        }
    }

    /** Moves every linked cross-thread post to the ready queue, in order. Consumer only. */
    private void moveIncomingToReady() {
        Callback cb;
        while ((cb = incoming.poll()) != null) {
            ready.add(cb);
        }
    }

    private void drop(Callback cb) {
        if (!cb.dropped()) {
            log.warn("event loop '{}' is closed; dropping {}", name(), cb);
        }
    }

    @Override
    public void scheduleStep(LoopTasks.Entry task, Runnable step) {
        post(new CallbackRunner.TaskStep(step, task));
    }

    @Override
    public TimerHandle callLater(Duration delay, Runnable callback) {
        Objects.requireNonNull(delay, "delay");
        return callAt(TimerHeap.deadline(clock.nanoTime(), delay), callback);
    }

    @Override
    public TimerHandle callAt(long deadlineNanos, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("callAt");
        checkOpen("callAt");
        TimerCallback cb = new TimerCallback(callback, Scope.context(), this,
                TimerHeap.bounded(deadlineNanos, clock.nanoTime()));
        timers.add(cb);
        return cb;
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

    // ---------------------------------------------------------------- I/O readiness

    @Override
    public void addReader(SelectableChannel channel, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("addReader");
        checkOpen("addReader");
        ioSelector.setReader(channel, new Callback(callback, Scope.context()));
    }

    @Override
    public boolean removeReader(SelectableChannel channel) {
        checkConfined("removeReader");
        return ioSelector.unwatch(channel, true);
    }

    @Override
    public void addWriter(SelectableChannel channel, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkConfined("addWriter");
        checkOpen("addWriter");
        ioSelector.setWriter(channel, new Callback(callback, Scope.context()));
    }

    @Override
    public boolean removeWriter(SelectableChannel channel) {
        checkConfined("removeWriter");
        return ioSelector.unwatch(channel, false);
    }

    // ---------------------------------------------------------------- what the layers above keep here

    @Override
    public LoopTasks tasks() {
        return tasks;
    }

    @Override
    public List<?> unfinishedTasks() {
        return tasks.snapshot();
    }

    @Override
    public LoopTasks.Entry runningEntry() {
        return runner.runningEntry;
    }

    @Override
    public Context callbackContext() {
        return runner.callbackContext;
    }

    @Override
    public void callbackContext(Context context) {
        runner.callbackContext = context;
    }

    @Override
    public Object callbackOwner() {
        Callback cb = runner.runningCallback;
        return cb != null ? cb : this;
    }

    @Override
    public Executor defaultExecutor() {
        return executor;
    }

    @Override
    public int defaultThreadLimit() {
        return defaultThreadLimit;
    }

    @Override
    public <T> T local(LoopLocal<T> key) {
        return locals.get(key, this);
    }

    // ---------------------------------------------------------------- running

    @Override
    public void runForever() {
        if (runForever(null)) {
            Thread.currentThread().interrupt(); // stopped by an interrupt: let the caller see it
        }
    }

    @Override
    public boolean runForever(Runnable onInterrupt) {
        return runWhile(() -> !stopping, Long.MAX_VALUE, onInterrupt);
    }

    @Override
    public boolean runUntilTasksFinish(long graceNanos) {
        long deadline = System.nanoTime() + graceNanos;
        runWhile(() -> !tasks.isEmpty() && System.nanoTime() - deadline < 0, graceNanos, null);
        return tasks.isEmpty();
    }

    /**
     * Runs iterations while {@code more} holds (and {@link #stop()} was not called), sleeping at
     * most {@code maxSleepNanos} at a time; returns whether an interrupt arrived.
     */
    private boolean runWhile(BooleanSupplier more, long maxSleepNanos, Runnable onInterrupt) {
        State s = state;
        if (s == State.RUNNING) {
            throw new IllegalStateException("event loop '" + name() + "' is already running in thread '"
                    + (thread != null ? thread.getName() : "?") + "'");
        }
        if (s == State.CLOSED || s == State.CLOSING) {
            throw new IllegalStateException("event loop '" + name() + "' is " + s.name().toLowerCase());
        }
        Loop other = Scope.loop();
        if (other != null) {
            throw new IllegalStateException("cannot run event loop '" + name() + "' in a thread that is already running"
                    + " event loop '" + other.name() + "'; await instead, or use Bridge.runSync");
        }
        state = State.RUNNING;
        Turn turn = enterTurn();
        boolean interrupted = false;
        try {
            long bound = maxSleepNanos == Long.MAX_VALUE ? -1 : Math.min(maxSleepNanos, CLOSE_POLL_NANOS);
            turnMore = more;
            turnBound = bound;
            // stop() before the run: one iteration, then return (asyncio polls once and runs what is ready).
            boolean once = stopping;
            while (once || turnGoesOn()) {
                once = false;
                runOnce(bound);
                if (runner.takeInterrupt()) {
                    interrupted = true;
                    if (onInterrupt != null) {
                        onInterrupt.run();
                    } else {
                        stopping = true;
                    }
                }
            }
        } finally {
            turnMore = null;
            stopping = false;
            leaveTurn(turn);
            if (state == State.RUNNING) {
                state = State.IDLE;
            }
        }
        return interrupted;
    }

    /** What entering a turn replaced, to restore when leaving it. */
    private record Turn(LoopWatch previous) {
    }

    /**
     * The calling thread takes the loop's turn: the one way in, for a running loop and for a
     * closing one.
     */
    private Turn enterTurn() {
        Thread me = Thread.currentThread();
        if (taskMode == TaskMode.FAST && me.isVirtual()) {
            state = state == State.RUNNING ? State.IDLE : state;
            throw new IllegalStateException("event loop '" + name() + "' uses TaskMode.FAST, whose tasks need a platform "
                    + "carrier thread, but it was run on virtual thread '" + me + "'; "
                    + "build the loop with taskMode(TaskMode.PORTABLE) to run it on a virtual thread");
        }
        thread = me;
        home = me;
        Turn turn = new Turn(runner.turnEntered());
        if (taskMode == TaskMode.PORTABLE) {
            Scope.portableTurnEntered(this);
        }
        return turn;
    }

    /** The one way out of a turn. */
    private void leaveTurn(Turn turn) {
        if (taskMode == TaskMode.PORTABLE) {
            Scope.portableTurnLeft(this);
        }
        runner.turnLeft(turn.previous());
        home = null;
        thread = null;
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
     *
     * @param maxSleepNanos the longest this iteration may sleep in real time; negative: no bound
     */
    private void runOnce(long maxSleepNanos) {
        beginIteration(maxSleepNanos);
        runIteration();
    }

    /** Polls and collects: the start of an iteration, up to the callbacks it will run. */
    private void beginIteration(long maxSleepNanos) {
        long timeout = !ready.isEmpty() || stopping ? 0 : timers.timeout(clock.nanoTime());
        if (timeout != 0 || ioSelector.selectorOrNull() != null) {
            poll(timeout, maxSleepNanos);
        }
        if (timers.size() > 0) {
            timers.moveDue(clock.nanoTime(), ready);
        }
        // Cross-thread posts run straight from their queue (no copy into the ready deque),
        // a bounded batch per iteration so timers and I/O keep their turns under a flood.
        iterationReady = ready.size();
        iterationIncoming = INCOMING_BATCH;
        runner.iterationStarts();
    }

    /**
     * Runs the iteration's callbacks ({@link #nextInIteration}). In PORTABLE mode a task step
     * relays the turn to the task's thread, which runs the rest of the iteration, and the
     * iterations after it while the turn lasts ({@link #passTurn}); this thread then waits
     * until the turn comes back to it.
     */
    private void runIteration() {
        Callback cb;
        while ((cb = nextInIteration()) != null) {
            if (runOrRelay(cb, null) == RELAYED) {
                awaitHome();
                return;
            }
        }
    }

    /** The next callback of the running iteration, or null when it is over. */
    private Callback nextInIteration() {
        if (iterationReady > 0) {
            iterationReady--;
            return ready.poll();
        }
        if (iterationIncoming > 0) {
            Callback cb = incoming.poll();
            if (cb != null) {
                iterationIncoming--;
                return cb;
            }
            iterationIncoming = 0;
        }
        return null;
    }

    /** What {@link #runOrRelay} did with a callback. */
    private static final int RAN = 0;
    private static final int RELAYED = 1;
    private static final int OWN_STEP = 2;

    /**
     * Runs {@code cb} on this thread (RAN; also for a cancelled callback or a stale step); or,
     * for a PORTABLE task step, hands the turn to the task's thread (RELAYED: this thread no
     * longer holds the turn), unless the task is {@code self}, the task of this very thread
     * (OWN_STEP: its step starts here, with no switch).
     */
    private int runOrRelay(Callback cb, LoopTasks.Entry self) {
        if (relays && cb instanceof CallbackRunner.TaskStep ts && ts.fn instanceof CallbackRunner.Relay relay) {
            cb.taken = true;
            if (cb.isCancelled() || !relay.pending()) {
                return RAN; // a step of a task whose body has ended: nothing to run
            }
            runner.relayStarted(ts.entry);
            if (ts.entry == self) {
                return OWN_STEP;
            }
            thread = ts.entry.thread();
            relay.handOver();
            return RELAYED;
        }
        runner.run(cb);
        return RAN;
    }

    /** Whether the running turn goes on for another iteration (its thread may be a task's). */
    private boolean turnGoesOn() {
        BooleanSupplier more = turnMore;
        return more != null && !stopping && !homeWanted && more.getAsBoolean();
    }

    /**
     * The turn's own thread, after relaying the turn: waits until it comes back, at the end of
     * an iteration after which the turn must end (stopped, or its condition no longer holds)
     * or after which this thread must see to an interrupt.
     */
    private void awaitHome() {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        BriefSpin.until(() -> homeHeld); // a platform thread: a short turn (runSync of a quick body) ends while it polls
        while (!homeHeld) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true; // seen by the loop after the iteration, as if it came then
                homeWanted = true;
                // The holder may be waiting for work: a post wakes it without a lost wake-up
                // (it re-checks the queue after announcing its sleep), and it then sees homeWanted.
                post(new Callback(NOTHING, null));
            }
        }
        homeHeld = false;
        homeWanted = false;
        if (interrupted) {
            me.interrupt();
        }
        Throwable f = relayFailure;
        if (f != null) {
            relayFailure = null;
            if (f instanceof Error err) {
                throw err;
            }
            throw f instanceof RuntimeException re ? re : new IllegalStateException("a relayed iteration failed", f);
        }
    }

    @Override
    public boolean passTurn(LoopTasks.Entry self) {
        runner.relayEnded();
        thread = Thread.currentThread();
        try {
            do {
                Callback cb;
                while ((cb = nextInIteration()) != null) {
                    int done = runOrRelay(cb, self);
                    if (done != RAN) {
                        return done == OWN_STEP;
                    }
                }
                // The iteration is over: the next one runs here too, unless the turn ends.
                if (!turnGoesOn()) {
                    break;
                }
                beginIteration(turnBound);
            } while (true);
        } catch (Throwable e) {
            relayFailure = e; // runner.run lets only VirtualMachineErrors out: the turn's thread rethrows it
        }
        Thread h = home;
        thread = h;
        homeHeld = true;
        LockSupport.unpark(h);
        return false;
    }

    /**
     * Waits up to {@code timeoutNanos} (-1: no bound) for work (see {@link IdleWait}); with 0 it
     * only collects the I/O that is ready. A selector failure goes to the exception handler.
     */
    private void poll(long timeoutNanos, long maxSleepNanos) {
        try {
            if (timeoutNanos == 0) {
                ioSelector.select(0, ready);
            } else if (!stopping) {
                idle.await(timeoutNanos, maxSleepNanos, ready);
            }
        } catch (IOException e) {
            callExceptionHandler(new ExceptionContext("selector failed on loop '" + name() + "'", e, ioSelector.selectorOrNull()));
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
                log.error("Unhandled error in exception handler of event loop '{}' (context: {})", name(), context, e);
            }
        }
        log.error("{} (event loop '{}', source: {})", context.message(), name(), context.source(), context.exception());
        UnhandledExceptions.report(context.message(), context.exception());
    }

    // ---------------------------------------------------------------- closing

    @Override
    public void close() {
        shutdown(0);
    }

    /**
     * Closes the loop: refuses new cross-thread posts; for {@code graceNanos} lets its tasks
     * finish on their own; cancels the rest and lets them finish their cleanup (bounded); then
     * reports unread failures and releases the selector and the default executor. The loop's
     * own iterations do the waiting, so timers, I/O and results from other threads keep
     * working meanwhile. Idempotent.
     */
    void shutdown(long graceNanos) {
        State s = state;
        if (s == State.CLOSED || s == State.CLOSING) {
            return;
        }
        if (s == State.RUNNING) {
            throw new IllegalStateException("cannot close event loop '" + name() + "' while it is running in thread '"
                    + (thread != null ? thread.getName() : "?") + "'; call stop() first");
        }
        Loop other = Scope.loop();
        if (other != null) {
            throw new IllegalStateException("cannot close event loop '" + name() + "' from inside a running loop ('"
                    + other.name() + "')");
        }
        state = State.CLOSING;
        closeTurn(graceNanos);
    }

    /** Close's turn: the loop's own iterations let tasks finish or cancel them, then it releases what it holds. */
    private void closeTurn(long graceNanos) {
        Turn turn = enterTurn();
        try {
            if (graceNanos > 0) {
                runUntil(tasks::isEmpty, System.nanoTime() + graceNanos);
            }
            List<LoopTasks.Entry> cancelled = tasks.isEmpty() ? List.of() : tasks.cancelAll("event loop '" + name() + "' is closing");
            if (!runUntil(() -> tasks.isEmpty() && ready.isEmpty() && incoming.isEmpty(),
                    System.nanoTime() + closeDrainNanos)) {
                long ms = TimeUnit.NANOSECONDS.toMillis(closeDrainNanos);
                log.warn("event loop '{}' closed with {} task(s) that did not finish within {} ms of cancellation: {}",
                        name(), tasks.size(), ms, tasks.snapshot());
                // Their bodies never resume; end them so a thread in EventThread.call or a task of
                // another loop waiting for one is released instead of waiting forever.
                tasks.abandonAll("event loop '" + name() + "' closed while this task was still running: it did not "
                        + "finish within " + ms + " ms of its cancellation");
            }
            tasks.reportFailedAfterCancel(cancelled, this);
            tasks.reportUnretrieved();
            // Posts that raced close(): run what was accepted; a producer that sees CLOSED without
            // its callback taken is refused (confirmAccepted).
            moveIncomingToReady();
            iterationReady = ready.size();
            iterationIncoming = 0;
            runIteration();
            if (!ready.isEmpty()) {
                // Scheduled by those last callbacks: the loop closes now, so say what did not run.
                log.warn("event loop '{}' closed; {} callback(s) scheduled by its last callbacks did not run: {}",
                        name(), ready.size(), List.copyOf(ready));
                ready.clear();
            }
        } finally {
            leaveTurn(turn);
            state = State.CLOSED;
            // Posts that came after the last sweep above (they were accepted while CLOSING).
            dropLeftovers();
            OpenLoops.closed(this);
            try {
                ioSelector.close();
            } catch (IOException e) {
                log.warn("closing the selector of event loop '{}' failed", name(), e);
            }
            if (virtualClock != null) {
                virtualClock.removeListener(clockListener);
            }
            executor.close();
            // Work that failed while the executor closed (it waits for running work): its future's
            // failure was watched after the report above; reported here, on the closing thread.
            tasks.reportUnretrieved();
        }
    }

    /** Runs iterations until {@code done}, or until {@code deadlineNanos} (System.nanoTime) passes; true if done. */
    private boolean runUntil(BooleanSupplier done, long deadlineNanos) {
        while (!done.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (virtualClock != null && ready.isEmpty() && incoming.isEmpty()) {
                TimerCallback next = timers.peek();
                if (next != null) {
                    virtualClock.advanceTo(next.when); // nothing else can make a closing loop's time pass
                }
            }
            runOnce(Math.min(left, CLOSE_POLL_NANOS));
        }
        return true;
    }

    @Override
    public String toString() {
        return "EventLoop[" + name() + ", " + state.name().toLowerCase() + ", " + taskMode + ", tasks=" + tasks.size() + "]";
    }
}
