package io.loopbridge.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "cst": callbacks per second that P producer threads deliver to ONE consumer thread
 * through its thread-safe entry point ({@code callSoonThreadsafe}, {@code execute}).
 * Counterpart of bench/python/b5_cst_throughput.py.
 *
 * <p>Each invocation releases the producers together, each pushing its share of
 * {@link #BATCH} callbacks, and ends when the consumer has run the last one; one op is one
 * callback. Every callback checks per-producer FIFO order, and the invocation checks that
 * none was lost; either failure throws, so a broken executor cannot post a figure.
 * impl values: {@value BenchBase#LOOPBRIDGE}, {@value BenchBase#NO_WATCHDOG} (to price the
 * watchdog), {@value BenchBase#LOOPBRIDGE_PORTABLE} (a loop in {@code TaskMode.PORTABLE}, whose
 * turns run on a virtual thread), and the anchors of {@link SingleThreadTarget}.
 */
public class CallSoonThreadsafeBench extends BenchBase {

    static final int BATCH = 100_000;
    private static final long DELIVERY_TIMEOUT_SECONDS = 60;

    @Param({LOOPBRIDGE, NO_WATCHDOG, LOOPBRIDGE_PORTABLE, SingleThreadTarget.NETTY, SingleThreadTarget.TPE})
    public String impl;

    @Param({"1", "4"})
    public int producers;

    private SingleThreadTarget target;
    private ProducerGang gang;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (producers < 1 || BATCH % producers != 0) {
            throw new IllegalArgumentException("producers must divide " + BATCH + ": " + producers);
        }
        target = SingleThreadTarget.start(impl);
        gang = new ProducerGang(producers, impl);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try {
            if (gang != null) {
                gang.close();
            }
        } finally {
            if (target != null) {
                target.close();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int deliverBatch() throws InterruptedException {
        Sink sink = new Sink(producers, BATCH / producers);
        SingleThreadTarget to = target;
        gang.release(producer -> {
            try {
                for (int seq = 0; seq < sink.perProducer; seq++) {
                    int s = seq;
                    to.submit(() -> sink.deliver(producer, s));
                }
            } catch (Throwable t) {
                sink.fail(new IllegalStateException(impl + ": producer " + producer + " failed to submit", t));
            }
        });
        return sink.awaitAndVerify(impl);
    }

    /** Receives one batch; {@link #deliver} runs on the consumer thread only. */
    static final class Sink {
        final int perProducer;
        private final int total;
        private final int[] lastSeq;
        private int count;
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Throwable failure;

        Sink(int producers, int perProducer) {
            this.perProducer = perProducer;
            this.total = producers * perProducer;
            this.lastSeq = new int[producers];
            java.util.Arrays.fill(lastSeq, -1);
        }

        void deliver(int producer, int seq) {
            int expected = lastSeq[producer] + 1;
            if (seq != expected) {
                fail(new IllegalStateException("OUT OF ORDER: producer " + producer
                        + " sent seq " + seq + " after " + (expected - 1)));
                return;
            }
            lastSeq[producer] = seq;
            if (++count == total) {
                done.countDown();
            }
        }

        void fail(Throwable t) {
            if (failure == null) {
                failure = t;
            }
            done.countDown();
        }

        int awaitAndVerify(String impl) throws InterruptedException {
            if (!done.await(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                // count is read without a happens-before edge: fine for a diagnostic.
                throw new IllegalStateException(impl + ": LOST CALLBACKS: delivered " + count + "/" + total
                        + " within " + DELIVERY_TIMEOUT_SECONDS + " s");
            }
            if (failure != null) {
                throw new IllegalStateException(impl + ": " + failure.getMessage(), failure);
            }
            for (int p = 0; p < lastSeq.length; p++) {
                if (lastSeq[p] != perProducer - 1) {
                    throw new IllegalStateException(impl + ": LOST CALLBACKS: producer " + p
                            + " last delivered seq " + lastSeq[p] + " of " + (perProducer - 1));
                }
            }
            if (count != total) {
                throw new IllegalStateException(impl + ": delivered " + count + "/" + total);
            }
            return count;
        }
    }
}
