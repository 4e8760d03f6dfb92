package io.loopbridge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A test publisher of 0, 1, ..., count - 1 for one subscriber that records what the subscriber
 * asked for: every request, every cancel, and how far it ever ran ahead of the consumer. It
 * honours demand (unless told to flood) and delivers either on the requesting thread from inside
 * {@code request} (trampolined, rule 3.3) or from a platform thread of its own. After the last
 * value it completes, or fails with {@link #failWith}; {@code count < 0} means never complete.
 */
final class CountingPublisher implements Flow.Publisher<Integer> {
    enum Delivery { CALLER, OWN_THREAD }

    final int count;
    final Delivery delivery;
    volatile Throwable failWith;
    /** Extra values sent beyond the demand on the first request (a broken publisher). */
    volatile int flood;
    /** How many values the consumer has taken so far, to measure how far ahead the publisher runs. */
    volatile LongSupplier consumed = () -> 0;

    final List<Long> requests = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong requestedTotal = new AtomicLong();
    final AtomicLong emitted = new AtomicLong();
    final AtomicInteger cancels = new AtomicInteger();
    final AtomicInteger signalsAfterCancel = new AtomicInteger();
    final AtomicInteger requestsAfterCancel = new AtomicInteger();
    final AtomicInteger subscribes = new AtomicInteger();
    final AtomicLong maxAhead = new AtomicLong();
    final CountDownLatch cancelled = new CountDownLatch(1);
    final CountDownLatch subscribed = new CountDownLatch(1);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile Thread thread;

    CountingPublisher(int count, Delivery delivery) {
        this.count = count;
        this.delivery = delivery;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Integer> s) {
        subscribes.incrementAndGet();
        Sub sub = new Sub(s);
        s.onSubscribe(sub);
        subscribed.countDown();
        if (delivery == Delivery.OWN_THREAD) {
            thread = Thread.ofPlatform().name("counting-publisher").start(sub::pump);
        }
    }

    /** Waits for the publisher's own thread, if any, to end (it ends at completion or cancel). */
    void join() throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.join();
        }
    }

    private final class Sub implements Flow.Subscription {
        private final Flow.Subscriber<? super Integer> s;
        private long demand;      // guarded by lock
        private int next;         // guarded by lock (CALLER: the emitting thread)
        private boolean emitting; // CALLER: trampoline
        private volatile boolean isCancelled;
        private boolean done;

        Sub(Flow.Subscriber<? super Integer> s) {
            this.s = s;
        }

        @Override
        public void request(long n) {
            if (isCancelled) {
                requestsAfterCancel.incrementAndGet();
                return;
            }
            requests.add(n);
            requestedTotal.addAndGet(n);
            lock.lock();
            try {
                demand += n;
                if (flood > 0) {
                    demand += flood;
                    flood = 0;
                }
                changed.signalAll();
                if (delivery == Delivery.OWN_THREAD || emitting) {
                    return;
                }
                emitting = true;
            } finally {
                lock.unlock();
            }
            drainOnCaller();
        }

        private void drainOnCaller() {
            while (true) {
                int v;
                lock.lock();
                try {
                    if (isCancelled || done || (demand == 0 && next != count)) {
                        emitting = false;
                        return;
                    }
                    v = next;
                    if (v != count) {
                        next++;
                        demand--;
                    } else {
                        done = true;
                    }
                } finally {
                    lock.unlock();
                }
                if (!signal(v)) {
                    return;
                }
            }
        }

        /** The publisher's own thread: sends while there is demand, waits for more. */
        void pump() {
            while (true) {
                int v;
                lock.lock();
                try {
                    while (!isCancelled && demand == 0 && next != count) {
                        changed.awaitUninterruptibly();
                    }
                    if (isCancelled) {
                        return;
                    }
                    v = next;
                    if (v != count) {
                        next++;
                        demand--;
                    }
                } finally {
                    lock.unlock();
                }
                if (!signal(v)) {
                    return;
                }
            }
        }

        /** Sends value v, or the end if v == count; false when there is nothing more to send. */
        private boolean signal(int v) {
            if (isCancelled) {
                signalsAfterCancel.incrementAndGet();
            }
            if (v == count) {
                Throwable f = failWith;
                if (f != null) {
                    s.onError(f);
                } else {
                    s.onComplete();
                }
                return false;
            }
            long e = emitted.incrementAndGet();
            maxAhead.accumulateAndGet(e - consumed.getAsLong(), Math::max);
            s.onNext(v);
            return true;
        }

        @Override
        public void cancel() {
            cancels.incrementAndGet();
            isCancelled = true;
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            cancelled.countDown();
        }
    }
}
