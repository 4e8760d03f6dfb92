package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * Python's "CPU-bound with ProcessPoolExecutor": on the JVM threads run in parallel, so
 * CPU-bound work goes to a {@link ForkJoinPool} through {@code runInExecutor}, never on the
 * loop. One call awaits a single computation; then chunks run in parallel and are gathered.
 */
public final class CpuBoundExample {
    private CpuBoundExample() {
    }

    public record Outcome(long primesBelowLimit, long primesGathered) {
    }

    /** Counts primes in [from, to): deliberately CPU-bound. */
    static long countPrimes(Narrator n, int from, int to) {
        n.say("counting primes in [" + from + ", " + to + ")");
        long count = 0;
        for (int i = Math.max(2, from); i < to; i++) {
            boolean prime = true;
            for (int d = 2; (long) d * d <= i; d++) {
                if (i % d == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                count++;
            }
        }
        return count;
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("CpuBoundExample"));
    }

    public static Outcome run(Narrator n) throws Exception {
        int limit = 200_000;
        try (ForkJoinPool pool = new ForkJoinPool(2)) {
            return Async.run(() -> {
                long whole = Threads.runInExecutor(pool, () -> countPrimes(n, 0, limit));
                n.say("primes below " + limit + ": " + whole);

                EventLoop loop = EventLoop.current();
                List<LoopFuture<Long>> chunks = new ArrayList<>();
                int step = limit / 4;
                for (int from = 0; from < limit; from += step) {
                    int f = from;
                    chunks.add(loop.runInExecutor(pool, () -> countPrimes(n, f, f + step)));
                }
                long sum = 0;
                for (long c : Async.await(Async.gather(chunks))) {
                    sum += c;
                }
                n.say("gathered from " + chunks.size() + " chunks: " + sum);
                return new Outcome(whole, sum);
            });
        }
    }
}
