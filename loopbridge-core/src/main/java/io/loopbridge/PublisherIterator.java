package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * A {@link Flow.Subscriber} that is also the consumer's {@link AsyncIterator}.
 *
 * <p>Design. Values go through a single-producer single-consumer ring of at least
 * {@code prefetch} slots: the publisher's signals (serial, on any thread) fill it, the consumer
 * empties it; an empty slot is {@code null}. All {@code request} and {@code cancel} calls are
 * made by the consumer, so they are serial by construction (rule 2.7); the one exception is
 * {@link #onSubscribe} cancelling a subscription that arrives after {@link #close()} or twice,
 * which the consumer never saw. Demand is owed, not granted ahead: a take that finds
 * {@code batch} values taken since the last request requests {@code batch} more before looking,
 * so the outstanding demand plus the ring never exceed {@code prefetch}, and the consumer asks
 * for more only when it comes back for the next value.
 *
 * <p>Waking. The consumer waits only on an empty ring: it publishes a one-shot future in
 * {@link #waiter} (a {@link Waiter}: the one rule decides whether it suspends a task or parks a
 * thread), re-checks, and waits. A
 * signal stores first (volatile), then reads {@code waiter}; the consumer writes {@code waiter}
 * first, then re-reads the slot: one of them sees the other. A value delivered on the consumer's
 * own thread from inside its {@code request} call (a synchronous publisher) skips both: the
 * consumer cannot be waiting while it requests.
 */
final class PublisherIterator<T> implements AsyncIterator<T>, Flow.Subscriber<T> {
    static final int MAX_PREFETCH = 1 << 20;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle UPSTREAM;
    private static final VarHandle WAITER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            UPSTREAM = l.findVarHandle(PublisherIterator.class, "upstream", Flow.Subscription.class);
            WAITER = l.findVarHandle(PublisherIterator.class, "waiter", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** In {@link #upstream} once the iterator is closed: a subscription arriving later is cancelled at once. */
    private static final Flow.Subscription CLOSED = new Flow.Subscription() {
        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
    };

    /** In {@link #terminal} after onComplete. */
    private static final Object COMPLETE = new Object();

    private enum State { OPEN, ENDED, CLOSED }

    private final Flow.Publisher<? extends T> publisher;
    private final Object[] ring;
    private final int mask;
    private final int prefetch;
    private final int batch;

    // ---- consumer side (the taking task or thread)
    private State state = State.OPEN;
    /** The subscription once the consumer has seen it; requests go to it. */
    private Flow.Subscription subscription;
    private long consumerIndex;
    private int takenSinceRequest;
    /** Taken by hasNext, not yet returned by next. */
    private Object taken;
    /** The last thread the one rule was checked on. */
    private Thread checkedThread;
    /** The consumer's thread while it is inside {@code subscription.request}: its own deliveries need no wake-up. */
    private Thread requestingThread;

    // ---- publisher side (its signals are serial, rule 1.3)
    private long producerIndex;
    /** The last {@link #requested} the publisher side read: values below it need no volatile read. */
    private long producerLimit;

    // ---- shared
    private volatile Flow.Subscription upstream;
    /** All the consumer requested so far, raised before each request: more values than this break rule 1.1. */
    private volatile long requested;
    /**
     * Set by close(), for a close from another caller than the consumer (misuse, but it must not
     * leave a waiting consumer hung): read only around a wait, so the take path stays plain.
     */
    private volatile boolean closedWhileWaiting;
    /** COMPLETE or the Throwable the iteration ends with; set after the last value is in the ring. */
    private volatile Object terminal;
    /** The terminal Throwable is the source breaking the protocol: the consumer cancels it. */
    private volatile boolean violated;
    /** The waiting consumer (a task or a thread), woken by the next signal. */
    private volatile Waiter waiter;

    PublisherIterator(Flow.Publisher<? extends T> publisher, int prefetch) {
        if (prefetch < 1 || prefetch > MAX_PREFETCH) {
            throw new IllegalArgumentException("prefetch must be 1 to " + MAX_PREFETCH + ", got " + prefetch);
        }
        this.publisher = publisher;
        this.prefetch = prefetch;
        this.batch = prefetch - (prefetch >> 2);
        int capacity = Integer.highestOneBit(prefetch);
        if (capacity < prefetch) {
            capacity <<= 1;
        }
        this.ring = new Object[capacity];
        this.mask = capacity - 1;
        this.checkedThread = Thread.currentThread();
    }

    // ---------------------------------------------------------------- the consumer

    @Override
    public boolean hasNext() throws Exception {
        if (taken != null) {
            return true;
        }
        if (state != State.OPEN) {
            if (state == State.ENDED) {
                return false;
            }
            throw new IllegalStateException("this iterator over " + publisher + " is closed");
        }
        Thread me = Thread.currentThread();
        if (me != checkedThread) {
            Async.checkMayBlock("AsyncIterator.hasNext");
            checkedThread = me;
        }
        if (takenSinceRequest >= batch) {
            requestMore();
        }
        Object v = poll();
        if (v != null) {
            taken = v;
            return true;
        }
        return awaitNext();
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() throws Exception {
        Object v = taken;
        if (v == null) {
            if (!hasNext()) {
                throw new NoSuchElementException("the publisher " + publisher + " has completed");
            }
            v = taken;
        }
        taken = null;
        return (T) v;
    }

    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        // A source that finished is not cancelled (rule 3.7 makes it a no-op; this keeps "exactly once" exact),
        // unless it finished by breaking the protocol, which end() cancels.
        boolean finished = state == State.ENDED || (terminal != null && !violated);
        state = State.CLOSED;
        taken = null;
        if (!finished) {
            cancelUpstream();
        }
        // Only another caller can close while the consumer waits: end that wait, or it never ends
        // (written before wake() reads the waiter; the consumer publishes it before re-checking).
        closedWhileWaiting = true;
        wake();
    }

    private Object poll() {
        int i = (int) consumerIndex & mask;
        Object v = SLOT.getAcquire(ring, i);
        if (v != null) {
            SLOT.setRelease(ring, i, null);
            consumerIndex++;
            takenSinceRequest++;
        }
        return v;
    }

    /** The ring is empty: requests first if the subscription just arrived, then waits for a signal. */
    private boolean awaitNext() throws Exception {
        try {
            while (true) {
                if (subscription == null) {
                    Flow.Subscription u = upstream;
                    if (u != null) {
                        subscription = u;
                        request(prefetch);
                    }
                }
                Object v = poll();
                if (v == null) {
                    Object t = terminal;
                    if (t != null) {
                        v = poll(); // values stored before the terminal signal come first
                        if (v == null) {
                            return end(t);
                        }
                    }
                }
                if (v != null) {
                    taken = v;
                    return true;
                }
                awaitSignal();
                if (closedWhileWaiting) {
                    state = State.CLOSED;
                    throw new IllegalStateException("this iterator over " + publisher + " was closed while hasNext()"
                            + " waited for its next value; close it from the task or thread that iterates");
                }
            }
        } catch (Throwable e) {
            if (state == State.OPEN) {
                close(); // a cancelled, timed-out or interrupted consumer stops the source
            }
            throw e;
        }
    }

    private void awaitSignal() throws Exception {
        Waiter w = Waiter.forCaller("AsyncIterator.hasNext");
        waiter = w;
        try {
            if (!signalled()) {
                w.await(Long.MAX_VALUE);
            }
        } finally {
            WAITER.compareAndSet(this, w, null);
        }
    }

    /** Whether a signal came since the consumer last looked (read after publishing the waiter). */
    private boolean signalled() {
        return SLOT.getVolatile(ring, (int) consumerIndex & mask) != null || terminal != null
                || (subscription == null && upstream != null) || closedWhileWaiting;
    }

    /** The source finished: false when it completed, else its exception, thrown once as Async.await throws it. */
    private boolean end(Object t) throws Exception {
        state = State.ENDED;
        if (t == COMPLETE) {
            return false;
        }
        if (violated) {
            cancelUpstream();
        }
        Throwable failure = (Throwable) t;
        if (failure instanceof CancellationException ce) {
            throw ce;
        }
        // Surfaces exactly as an await of a failed stage: unwrapped, with this caller's frames attached.
        throw Exceptions.withAwaitSite(Exceptions.rethrow(failure));
    }

    private void requestMore() {
        if (subscription == null) {
            close();
            throw new IllegalStateException("the publisher " + publisher + " sent values before any was requested,"
                    + " breaking Reactive Streams rule 1.1; its subscription is cancelled");
        }
        takenSinceRequest -= batch;
        request(batch);
    }

    private void request(long n) {
        requested += n; // the consumer alone writes it
        requestingThread = Thread.currentThread();
        try {
            subscription.request(n);
        } finally {
            requestingThread = null;
        }
    }

    private void cancelUpstream() {
        Flow.Subscription u = (Flow.Subscription) UPSTREAM.getAndSet(this, CLOSED);
        if (u != null && u != CLOSED) {
            u.cancel();
        }
    }

    // ---------------------------------------------------------------- the publisher's signals

    @Override
    public void onSubscribe(Flow.Subscription s) {
        Objects.requireNonNull(s, "onSubscribe(null) breaks Reactive Streams rule 2.13");
        if (!UPSTREAM.compareAndSet(this, null, s)) {
            // Closed before it arrived, or a second subscription (rule 2.5): the consumer will never use it.
            s.cancel();
            return;
        }
        wake();
    }

    @Override
    public void onNext(T value) {
        Objects.requireNonNull(value, "onNext(null) breaks Reactive Streams rule 2.13");
        if (terminal != null) {
            return; // after the source broke the protocol (or signalled after its end): dropped
        }
        if (producerIndex >= producerLimit && producerIndex >= (producerLimit = requested)) {
            overflow(); // the ring's free slots alone would hide it (rounded-up capacity, values already taken)
            return;
        }
        int i = (int) producerIndex & mask;
        if (Thread.currentThread() == requestingThread) {
            // Delivered from inside the consumer's own request: it is not waiting and reads after we return.
            if (ring[i] != null) {
                overflow();
                return;
            }
            ring[i] = value;
            producerIndex++;
            return;
        }
        if (SLOT.getAcquire(ring, i) != null) {
            overflow();
            return;
        }
        SLOT.setVolatile(ring, i, value);
        producerIndex++;
        wake();
    }

    @Override
    public void onError(Throwable failure) {
        Objects.requireNonNull(failure, "onError(null) breaks Reactive Streams rule 2.13");
        if (terminal == null) {
            terminal = failure;
            wake();
        }
    }

    @Override
    public void onComplete() {
        if (terminal == null) {
            terminal = COMPLETE;
            wake();
        }
    }

    private void overflow() {
        violated = true;
        long asked = requested;
        terminal = new IllegalStateException("the publisher " + publisher + (asked == 0
                ? " sent values before any was requested"
                : " sent more values than were requested (" + asked + " so far, " + prefetch + " ahead at most)")
                + ", breaking Reactive Streams rule 1.1; its subscription is cancelled");
        wake();
    }

    private void wake() {
        Waiter w = waiter;
        if (w != null && WAITER.compareAndSet(this, w, null)) {
            w.wake();
        }
    }

    @Override
    public String toString() {
        return "AsyncIterator[" + publisher + ", " + state.name().toLowerCase(java.util.Locale.ROOT)
                + ", prefetch " + prefetch + "]";
    }
}
