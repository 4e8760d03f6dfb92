package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SpinLockTest {

    /** State a test guards with the lock: plain fields, so only the lock makes updates safe. */
    static final class Guarded {
        int count;
        long sum;
        boolean inside;
    }

    @Test
    void lockAndUnlockAgainAndAgainFromOneThread() {
        SpinLock lock = new SpinLock();
        Guarded g = new Guarded();
        for (int i = 0; i < 1000; i++) {
            lock.lock();
            try {
                g.count++;
            } finally {
                lock.unlock();
            }
        }
        assertThat(g.count).isEqualTo(1000);
    }

    @Test
    void aHeldLockKeepsAnotherThreadOutUntilReleased() throws Exception {
        SpinLock lock = new SpinLock();
        Guarded g = new Guarded();
        lock.lock();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Integer> seen = new CompletableFuture<>();
        Thread other = Thread.ofPlatform().name("spin-contender").start(() -> {
            started.countDown();
            lock.lock();
            try {
                seen.complete(g.count);
            } finally {
                lock.unlock();
            }
        });
        try {
            started.await();
            g.count = 42; // still inside: the contender must see this value, never 0
        } finally {
            lock.unlock();
        }
        assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo(42);
        other.join();
    }

    /**
     * More threads than cores (platform and virtual), each incrementing plain fields under the
     * lock: the totals are exact only if no two holders ever overlap.
     */
    @Test
    void mutualExclusionUnderContention() throws Exception {
        int platform = 4;
        int virtual = 4;
        int increments = 50_000;
        SpinLock lock = new SpinLock();
        Guarded g = new Guarded();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<CompletableFuture<Void>> outcomes = new ArrayList<>();
        for (int t = 0; t < platform + virtual; t++) {
            CompletableFuture<Void> outcome = new CompletableFuture<>();
            outcomes.add(outcome);
            int id = t;
            Runnable body = () -> {
                try {
                    start.await();
                    for (int i = 0; i < increments; i++) {
                        lock.lock();
                        try {
                            if (g.inside) {
                                throw new AssertionError("two holders at once");
                            }
                            g.inside = true;
                            g.count++;
                            g.sum += id;
                            g.inside = false;
                        } finally {
                            lock.unlock();
                        }
                    }
                    outcome.complete(null);
                } catch (Throwable e) {
                    outcome.completeExceptionally(e);
                }
            };
            threads.add(t < platform ? Thread.ofPlatform().name("spin-" + t).start(body)
                    : Thread.ofVirtual().name("spin-v" + t).start(body));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        for (CompletableFuture<Void> o : outcomes) {
            o.get();
        }
        int n = platform + virtual;
        lock.lock();
        try {
            assertThat(g.count).isEqualTo(n * increments);
            assertThat(g.sum).isEqualTo((long) increments * n * (n - 1) / 2);
        } finally {
            lock.unlock();
        }
    }
}
