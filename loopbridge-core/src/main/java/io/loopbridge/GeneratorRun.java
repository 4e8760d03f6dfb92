package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;

/**
 * One run of an {@link AsyncGenerator}'s body for one subscriber: the {@link Flow.Subscription}
 * the subscriber holds and the {@link AsyncGenerator.Emitter} the body holds.
 *
 * <p>Design. Demand is a monotonic total: {@code request} adds to {@link #requested} (any thread,
 * CAS, saturating at {@code Long.MAX_VALUE}, which stays unbounded); the body alone counts what
 * it {@link #emitted}, so an emit with demand left costs no atomic operation. A body without
 * demand publishes a one-shot {@link Waiter} in {@link #demandWaiter}, re-reads
 * {@code requested}, and awaits it; {@code request} adds first and then completes the waiter it
 * reads, so a wake-up is never lost. The subscriber cancelling cancels the body's task, which
 * raises {@link CancelledException} wherever the body waits. Every value is sent from the body's
 * task and the terminal signal from its done-callback, after it, so signals are serial (rule 1.3).
 */
final class GeneratorRun<T> implements Flow.Subscription, AsyncGenerator.Emitter<T> {
    private static final VarHandle REQUESTED;

    static {
        try {
            REQUESTED = MethodHandles.lookup().findVarHandle(GeneratorRun.class, "requested", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final String CANCELLED_BY_SUBSCRIBER = "the subscriber cancelled its subscription to the generator";

    private final EventLoop loop;
    private final AsyncGenerator.Body<T> body;

    /** Null once the subscriber cancelled or the run ended: no reference kept (rule 3.13), nothing more sent. */
    private volatile Flow.Subscriber<? super T> subscriber;
    private volatile long requested;
    /** Set by cancel, a bad request or a throwing onNext: emit refuses from then on. */
    private volatile boolean cancelled;
    /** A request(n <= 0), signalled as onError when the body has stopped (rule 3.9). */
    private volatile IllegalArgumentException badRequest;
    private volatile Waiter demandWaiter;
    private volatile Task<Void> task;

    // The body's task only (bodyFailure is read by the task's done-callback, after it).
    private Thread bodyThread;
    private long emitted;
    private Throwable bodyFailure;

    GeneratorRun(EventLoop loop, AsyncGenerator.Body<T> body, Flow.Subscriber<? super T> subscriber) {
        this.loop = loop;
        this.body = body;
        this.subscriber = subscriber;
    }

    /** On the subscribing thread: onSubscribe first (rule 1.9), then the body's task on the loop. */
    void start() {
        Flow.Subscriber<? super T> s = subscriber;
        try {
            s.onSubscribe(this);
        } catch (Throwable e) {
            cancelled = true;
            subscriber = null;
            report("onSubscribe of " + s + " threw (Reactive Streams rule 2.13); the generator does not run for it", e);
            return;
        }
        if (loop.inLoop()) {
            launch();
            return;
        }
        try {
            loop.callSoonThreadsafe(this::launch);
        } catch (RejectedExecutionException e) {
            Flow.Subscriber<? super T> sub = subscriber;
            subscriber = null;
            if (sub != null && !(cancelled && badRequest == null)) {
                signalError(sub, new IllegalStateException("the generator's event loop '" + loop.name()
                        + "' is closed: its body cannot run", e));
            }
        }
    }

    /** On the loop. */
    private void launch() {
        if (cancelled && badRequest == null) {
            subscriber = null;
            return;
        }
        Task<Void> t;
        try {
            t = loop.createTask(this::runBody);
        } catch (RuntimeException e) { // the loop is closing: the subscriber must still hear the end
            Flow.Subscriber<? super T> s = subscriber;
            subscriber = null;
            if (s != null && !(cancelled && badRequest == null)) {
                signalError(s, new IllegalStateException("the generator's body could not start on event loop '"
                        + loop.name() + "'", e));
            }
            return;
        }
        task = t;
        // The terminal signal is sent when the task is done, however it ends: a task cancelled
        // before it started never runs runBody, and its subscriber must still hear of it.
        t.addDoneCallback(this::finish);
        if (cancelled) {
            t.cancel(CANCELLED_BY_SUBSCRIBER); // cancel() or a bad request ran before it could see the task
        }
    }

    private Void runBody() {
        bodyThread = Thread.currentThread();
        try {
            if (!cancelled) {
                body.run(this);
            }
        } catch (Throwable e) {
            bodyFailure = e;
        }
        return null;
    }

    /**
     * On the loop, once the body's task is done (every signal from it has been sent): the terminal
     * signal, or a report of what nobody else will see.
     */
    private void finish(LoopFuture<Void> done) {
        Throwable failure = bodyFailure;
        if (failure == null && done.isCancelled()) {
            failure = new CancelledException("the generator's task was cancelled before its body ended");
        }
        Flow.Subscriber<? super T> s = subscriber;
        subscriber = null;
        demandWaiter = null;
        IllegalArgumentException bad = badRequest;
        if (s == null || (cancelled && bad == null)) {
            if (failure != null && !(failure instanceof CancellationException)) {
                report("the generator's body failed after its subscriber had cancelled", failure);
            }
            return;
        }
        if (bad != null) {
            if (failure != null && !(failure instanceof CancellationException)) {
                bad.addSuppressed(failure);
            }
            failure = bad;
        }
        try {
            if (failure == null) {
                s.onComplete();
            } else {
                s.onError(failure);
            }
        } catch (Throwable e) {
            report((failure == null ? "onComplete" : "onError") + " of " + s + " threw (Reactive Streams rule 2.13)", e);
        }
    }

    /** The run ends before its body could start: onError, and no other signal ever. */
    private void signalError(Flow.Subscriber<? super T> s, Throwable e) {
        IllegalArgumentException bad = badRequest;
        try {
            s.onError(bad != null ? bad : e);
        } catch (Throwable t) {
            report("onError of " + s + " threw (Reactive Streams rule 2.13)", t);
        }
    }

    // ---------------------------------------------------------------- the body's side

    @Override
    public void emit(T value) throws Exception {
        if (Thread.currentThread() != bodyThread) {
            throw new IllegalStateException("emit called on thread '" + Thread.currentThread().getName()
                    + "', outside the generator body's own task: only the body may emit, from its task");
        }
        Objects.requireNonNull(value, "a generator cannot emit null (Reactive Streams rule 2.13)");
        while (true) {
            if (cancelled) {
                throw new CancelledException(CANCELLED_BY_SUBSCRIBER);
            }
            if (emitted < requested) {
                break;
            }
            awaitDemand();
        }
        Flow.Subscriber<? super T> s = subscriber;
        if (s == null) {
            throw new CancelledException(CANCELLED_BY_SUBSCRIBER);
        }
        emitted++;
        try {
            s.onNext(value);
        } catch (Throwable e) {
            cancelled = true;
            subscriber = null;
            report("onNext of " + s + " threw (Reactive Streams rule 2.13); the generator treats the subscription as cancelled", e);
            throw new CancelledException("the subscriber's onNext threw " + e + "; the subscription is cancelled");
        }
    }

    private void awaitDemand() throws Exception {
        Waiter w = Waiter.forCaller("AsyncGenerator.emit");
        demandWaiter = w;
        try {
            if (emitted >= requested && !cancelled) {
                w.await(Long.MAX_VALUE);
            }
        } finally {
            demandWaiter = null;
        }
    }

    // ---------------------------------------------------------------- the subscriber's side (any thread)

    @Override
    public void request(long n) {
        if (cancelled) {
            return; // rule 3.6
        }
        if (n <= 0) {
            badRequest = new IllegalArgumentException("request(" + n + ") breaks Reactive Streams rule 3.9: n must be > 0");
            cancelled = true;
            stopBody("the subscriber requested " + n + " values (rule 3.9)");
            return;
        }
        long r;
        long next;
        do {
            r = requested;
            if (r == Long.MAX_VALUE) {
                return;
            }
            next = r + n;
            if (next < 0) {
                next = Long.MAX_VALUE; // rule 3.17: effectively unbounded
            }
        } while (!REQUESTED.compareAndSet(this, r, next));
        Waiter w = demandWaiter;
        if (w != null) {
            w.wake();
        }
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return; // rule 3.7
        }
        cancelled = true;
        subscriber = null;
        stopBody(CANCELLED_BY_SUBSCRIBER);
    }

    private void stopBody(String why) {
        Task<Void> t = task;
        if (t != null) {
            t.cancel(why);
        }
    }

    /** What no subscriber can be told: to the loop's exception handler, on the loop. */
    private void report(String message, Throwable e) {
        ExceptionContext c = new ExceptionContext(message, e, this);
        if (loop.inLoop()) {
            loop.callExceptionHandler(c);
            return;
        }
        try {
            loop.callSoonThreadsafe(() -> loop.callExceptionHandler(c));
        } catch (RejectedExecutionException closed) {
            loop.callExceptionHandler(c); // a closed loop runs nothing any more: its handler is called here
        }
    }

    @Override
    public String toString() {
        Task<Void> t = task;
        return "AsyncGenerator run[" + body + (t != null ? ", " + t : ", not started") + ", requested " + requested
                + (cancelled ? ", cancelled" : "") + "]";
    }
}
