package io.loopbridge.bench;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fixed set of platform producer threads kept alive for a whole trial, so thread start-up
 * never lands inside a measured invocation. Each {@link #release} lets every producer run
 * one round at the same instant (a barrier, as in the Python baselines).
 *
 * <p>{@link #release} and {@link #close} are called by the benchmark thread only.
 */
final class ProducerGang implements AutoCloseable {

    /** One round of work for producer number {@code producer} (0-based); must not throw. */
    @FunctionalInterface
    interface Round {
        void run(int producer);
    }

    private static final long TIMEOUT_SECONDS = 60;

    private final Thread[] threads;
    private final CyclicBarrier start;
    // Written before the barrier, read after it: the barrier orders the two.
    private Round round;
    private boolean closing;

    ProducerGang(int producers, String name) {
        start = new CyclicBarrier(producers + 1);
        threads = new Thread[producers];
        for (int i = 0; i < producers; i++) {
            int producer = i;
            threads[i] = new Thread(() -> work(producer), name + "-producer-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /**
     * Starts {@code next} on every producer and returns at once, while they run it.
     * The previous round must be over (all its producers back at the barrier).
     */
    void release(Round next) {
        round = next;
        await();
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        await();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        }
    }

    private void work(int producer) {
        while (true) {
            await();
            if (closing) {
                return;
            }
            round.run(producer);
        }
    }

    private void await() {
        try {
            start.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted at the producers' barrier", e);
        } catch (BrokenBarrierException | TimeoutException e) {
            throw new IllegalStateException("producers' barrier broken or timed out", e);
        }
    }
}
