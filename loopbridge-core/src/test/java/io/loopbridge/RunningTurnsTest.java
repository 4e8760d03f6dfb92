package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RunningTurnsTest {

    @Test
    void aLoopIsListedWhileAThreadHoldsItsTurnAndNotAfter() throws Exception {
        try (EventLoop loop = EventLoop.builder().build()) {
            Loop l = Loop.of(loop);
            List<Loop> seen = new ArrayList<>();
            AtomicReference<Loop> current = new AtomicReference<>();
            loop.runUntilComplete(loop.createTask(() -> {
                RunningTurns.running().forEach(w -> seen.add(w.loop));
                return null;
            }));
            loop.callSoon(() -> {
                current.set(RunningTurns.currentLoop());
                loop.stop();
            });
            loop.runForever();
            assertThat(seen).contains(l);
            assertThat(current.get()).isSameAs(l);
            assertThat(RunningTurns.currentLoop()).isNull();
            assertThat(RunningTurns.running()).noneMatch(w -> w.loop == l);
        }
    }

    @Test
    void manyThreadsRunningManyLoopsLeaveNoTurnBehind() throws Exception {
        int threads = 8;
        int loopsEach = 500;
        AtomicInteger completed = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        // A reader lists the running loops the whole time, as the watchdog and the sampler do.
        AtomicInteger reads = new AtomicInteger();
        Thread reader = Thread.ofPlatform().name("running-turns-reader").start(() -> {
            while (!done.get()) {
                for (LoopWatch w : RunningTurns.running()) {
                    assertThat(w.loop).isNotNull();
                }
                reads.incrementAndGet();
            }
        });
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("turns-" + t).start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < loopsEach; i++) {
                        int n = i;
                        if (Async.run(() -> Loop.current() != null ? n : -1) == n) {
                            completed.incrementAndGet();
                        }
                        assertThat(RunningTurns.currentLoop()).isNull();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        done.set(true);
        reader.join();
        assertThat(failure.get()).isNull();
        assertThat(completed.get()).isEqualTo(threads * loopsEach);
        assertThat(reads.get()).isPositive();
        assertThat(RunningTurns.running()).noneMatch(w -> workers.contains(w.loop.loopThread()));
    }

    @Test
    void theSlotsOfEndedThreadsAreDropped() throws Exception {
        int threads = 300;
        for (int t = 0; t < threads; t++) {
            Thread th = Thread.ofPlatform().start(() -> {
                try {
                    Async.run(() -> null);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            th.join();
        }
        RunningTurns.running(); // a reader drops what it finds ended
        assertThat(slots().size()).isLessThan(threads / 2);
    }

    @Test
    void aThreadThatTookATurnIsCollectableOnceItEnded() throws Exception {
        WeakReference<Thread> ref;
        try (EventLoop loop = EventLoop.builder().blockedLoopThreshold(null).build()) {
            ref = takeATurnInAThreadThatEnds(loop);
        }
        for (int i = 0; i < 200 && ref.get() != null; i++) {
            System.gc();
            CountDownLatch tick = new CountDownLatch(1);
            Thread.ofVirtual().start(tick::countDown);
            tick.await();
        }
        assertThat(ref.get()).as("the ended thread was collected").isNull();
    }

    /** Returns only a weak reference, so that no frame of the test keeps the thread reachable. */
    private static WeakReference<Thread> takeATurnInAThreadThatEnds(EventLoop loop) throws InterruptedException {
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                loop.runUntilComplete(loop.createTask(() -> null));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        return new WeakReference<>(t);
    }

    private static Set<?> slots() throws ReflectiveOperationException {
        Field f = RunningTurns.class.getDeclaredField("SLOTS");
        f.setAccessible(true);
        return (Set<?>) f.get(null);
    }
}
