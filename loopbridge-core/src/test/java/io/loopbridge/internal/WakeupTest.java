package io.loopbridge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class WakeupTest {

    /** A selector that only counts its wake-ups (never selects). */
    static final class CountingSelector extends Selector {
        final AtomicInteger wakeups = new AtomicInteger();

        @Override
        public Selector wakeup() {
            wakeups.incrementAndGet();
            return this;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public SelectorProvider provider() {
            return SelectorProvider.provider();
        }

        @Override
        public Set<SelectionKey> keys() {
            return Set.of();
        }

        @Override
        public Set<SelectionKey> selectedKeys() {
            return Set.of();
        }

        @Override
        public int selectNow() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int select(long timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int select() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aWakeWhileTheLoopIsAwakeCostsNothingAndTheLoopStillSeesThePost() {
        Wakeup wakeup = new Wakeup();
        CountingSelector sel = new CountingSelector();
        MpscQueue<MpscQueue.Node> incoming = new MpscQueue<>();

        incoming.offer(new MpscQueue.Node()); // the producer posts, then wakes: the loop is awake
        wakeup.wake();
        assertThat(sel.wakeups).hasValue(0);

        // The loop announces its sleep, then re-checks its queue before really sleeping.
        wakeup.prepareToSleep(Thread.currentThread(), sel);
        assertThat(incoming.isEmpty()).as("the post made before prepareToSleep is seen by the re-check").isFalse();
        wakeup.awake();
        assertThat(incoming.poll()).isNotNull();
        wakeup.wake();
        assertThat(sel.wakeups).as("a wake after awake() does nothing").hasValue(0);
    }

    @Test
    void aWakeAfterPrepareToSleepWakesTheSelectorOncePerSleep() {
        Wakeup wakeup = new Wakeup();
        CountingSelector sel = new CountingSelector();
        wakeup.prepareToSleep(Thread.currentThread(), sel);
        for (int i = 0; i < 10; i++) {
            wakeup.wake();
        }
        assertThat(sel.wakeups).hasValue(1);
        wakeup.awake();
        wakeup.wake();
        assertThat(sel.wakeups).hasValue(1);
        wakeup.prepareToSleep(Thread.currentThread(), sel);
        wakeup.wake();
        wakeup.wake();
        assertThat(sel.wakeups).hasValue(2);
        wakeup.awake();
    }

    /**
     * Two wakers race each other on every sleep: the test thread and a helper that spins until
     * the sleep is announced. Exactly one selector wake-up per sleep, never two.
     */
    @Test
    void concurrentWakesCoalesceIntoExactlyOneSelectorWakeupPerSleep() throws Exception {
        int sleeps = 5_000;
        Wakeup wakeup = new Wakeup();
        CountingSelector sel = new CountingSelector();
        AtomicInteger sleepAnnounced = new AtomicInteger(-1);
        AtomicInteger helperDone = new AtomicInteger(-1);
        AtomicBoolean abort = new AtomicBoolean();
        Thread helper = Thread.ofPlatform().name("waker").start(() -> {
            for (int s = 0; s < sleeps && !abort.get(); s++) {
                int round = s;
                spinUntil(() -> sleepAnnounced.get() >= round || abort.get());
                wakeup.wake();
                wakeup.wake();
                helperDone.set(s);
            }
        });
        try {
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int s = 0; s < sleeps; s++) {
                int round = s;
                wakeup.prepareToSleep(Thread.currentThread(), sel);
                sleepAnnounced.set(s);
                wakeup.wake();
                wakeup.wake();
                spinUntil(() -> helperDone.get() >= round || System.nanoTime() - giveUp > 0);
                if (helperDone.get() < s) {
                    throw new AssertionError("the helper stopped at sleep " + s);
                }
                if (sel.wakeups.get() != s + 1) {
                    throw new AssertionError("sleep " + s + ": " + (sel.wakeups.get() - s) + " selector wake-ups, not 1");
                }
                wakeup.awake();
            }
        } finally {
            abort.set(true);
            helper.join();
        }
    }

    /** Spins briefly, then yields: the machine may have fewer cores than busy threads. */
    private static void spinUntil(BooleanSupplier condition) {
        for (int spins = 0; !condition.getAsBoolean(); spins++) {
            if (spins < 500) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    @Test
    void aWakeAfterPrepareToSleepUnparksAParkedThread() throws Exception {
        Wakeup wakeup = new Wakeup();
        AtomicBoolean posted = new AtomicBoolean();
        Object blocker = new Object();
        CountDownLatch woke = new CountDownLatch(1);
        Thread loop = Thread.ofPlatform().name("parked-loop").start(() -> {
            wakeup.prepareToSleep(Thread.currentThread(), null);
            while (!posted.get()) {
                LockSupport.park(blocker); // spurious returns park again: only the wake-up ends this
            }
            wakeup.awake();
            woke.countDown();
        });
        try {
            awaitParked(loop, blocker);
            posted.set(true);
            wakeup.wake();
            assertThat(woke.await(10, TimeUnit.SECONDS)).as("the parked thread was unparked").isTrue();
        } finally {
            posted.set(true);
            LockSupport.unpark(loop);
            loop.join();
        }
    }

    @Test
    void aWakeAfterPrepareToSleepEndsARealSelect() throws Exception {
        try (Selector selector = Selector.open()) {
            Wakeup wakeup = new Wakeup();
            CountDownLatch prepared = new CountDownLatch(1);
            CompletableFuture<Integer> selected = new CompletableFuture<>();
            Thread loop = Thread.ofPlatform().name("selecting-loop").start(() -> {
                try {
                    wakeup.prepareToSleep(Thread.currentThread(), selector);
                    prepared.countDown();
                    int n = selector.select(); // no channels: only a wake-up ends it
                    wakeup.awake();
                    selected.complete(n);
                } catch (Throwable e) {
                    selected.completeExceptionally(e);
                }
            });
            try {
                prepared.await();
                wakeup.wake();
                assertThat(selected.get(10, TimeUnit.SECONDS)).isZero();
            } finally {
                selector.wakeup();
                loop.join();
            }
        }
    }

    @Test
    void awakeDropsTheReferenceToTheSleepingThread() throws Exception {
        Wakeup wakeup = new Wakeup();
        Field sleeper = Wakeup.class.getDeclaredField("sleeper");
        sleeper.setAccessible(true);
        wakeup.prepareToSleep(Thread.currentThread(), null);
        assertThat(sleeper.get(wakeup)).isSameAs(Thread.currentThread());
        wakeup.awake();
        assertThat(sleeper.get(wakeup)).isNull();
        // A wake-up that finds no sleeper (it won its race against awake()) is harmless.
        assertThatCode(wakeup::wake).doesNotThrowAnyException();
    }

    @Test
    void aWakeNeverThrowsEvenWhenTheSelectorWasClosed() throws IOException {
        Selector selector = Selector.open();
        selector.close();
        Wakeup wakeup = new Wakeup();
        wakeup.prepareToSleep(Thread.currentThread(), selector);
        assertThatCode(wakeup::wake).doesNotThrowAnyException();
        wakeup.awake();
    }

    /**
     * The whole protocol between producers and a sleeping consumer, both sleep modes: producers
     * post and wake; the consumer announces its sleep, re-checks, and sleeps with no timeout. A
     * lost wake-up leaves it asleep with an element queued, and the test fails instead of
     * finishing. One producer floods; the others wait for each element to be taken before
     * posting the next, so the consumer goes to sleep again and again while posts race it.
     */
    @Test
    void noWakeUpIsLostBetweenManyProducersAndASleepingConsumer() throws Exception {
        runProtocol(false);
        runProtocol(true);
    }

    /** An element its producer may wait on. */
    static final class Post extends MpscQueue.Node {
        volatile boolean taken;
    }

    private static void runProtocol(boolean selectorMode) throws Exception {
        int producers = 3;
        int perProducer = 3_000;
        int total = producers * perProducer;
        Wakeup wakeup = new Wakeup();
        MpscQueue<Post> incoming = new MpscQueue<>();
        AtomicBoolean abort = new AtomicBoolean();
        try (Selector selector = selectorMode ? Selector.open() : null) {
            CompletableFuture<Integer> consumed = new CompletableFuture<>();
            Thread consumer = Thread.ofPlatform().name("protocol-consumer").start(() -> {
                try {
                    int n = 0;
                    while (n < total && !abort.get()) {
                        Post p = incoming.poll();
                        if (p != null) {
                            p.taken = true;
                            n++;
                            continue;
                        }
                        wakeup.prepareToSleep(Thread.currentThread(), selector);
                        try {
                            if (!incoming.isEmpty() || abort.get()) {
                                continue;
                            }
                            if (selector != null) {
                                selector.select();
                            } else {
                                LockSupport.park();
                            }
                        } finally {
                            wakeup.awake();
                        }
                    }
                    consumed.complete(n);
                } catch (Throwable e) {
                    consumed.completeExceptionally(e);
                }
            });
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                boolean flood = p == 0;
                threads.add(Thread.ofPlatform().name("protocol-producer-" + p).start(() -> {
                    for (int i = 0; i < perProducer && !abort.get(); i++) {
                        Post post = new Post();
                        incoming.offer(post);
                        wakeup.wake();
                        while (!flood && !post.taken && !abort.get()) {
                            Thread.yield();
                        }
                    }
                }));
            }
            try {
                assertThat(consumed.get(20, TimeUnit.SECONDS)).isEqualTo(total);
            } catch (TimeoutException e) {
                throw new AssertionError("the consumer still sleeps with elements queued: a wake-up was lost ("
                        + (selectorMode ? "selector" : "park") + " mode)", e);
            } finally {
                abort.set(true);
                for (Thread t : threads) {
                    t.join();
                }
                LockSupport.unpark(consumer);
                if (selector != null) {
                    selector.wakeup();
                }
                consumer.join();
            }
            assertThat(incoming.poll()).isNull();
        }
    }

    /** Waits (without sleeping) until {@code t} is parked on {@code blocker}. */
    private static void awaitParked(Thread t, Object blocker) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(LockSupport.getBlocker(t) == blocker && t.getState() == Thread.State.WAITING)) {
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError("thread " + t.getName() + " never parked: " + t.getState());
            }
            Thread.yield();
        }
    }
}
