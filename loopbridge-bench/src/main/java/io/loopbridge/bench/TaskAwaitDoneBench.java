package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.TaskMode;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "tasks": the cost of {@code Async.await} of a future that is already done, inside a
 * task (no suspension; the fast path every await of a cached or already-delivered result
 * takes). One invocation runs one task that awaits the same done future {@link #AWAITS}
 * times; one op is one await, in ns.
 *
 * <p>{@code future}: {@code loopfuture} (a {@link LoopFuture} of the loop, completed before the
 * task starts) or {@code cf} ({@code CompletableFuture.completedFuture}). impl values:
 * {@value BenchBase#LOOPBRIDGE} (FAST) and {@value TaskSpawnBench#PORTABLE}. Nearest asyncio
 * figure: b9's {@code await native(x)} of a coroutine that returns without suspending.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TaskAwaitDoneBench extends BenchBase {

    static final int AWAITS = 1_000_000;

    @Param({LOOPBRIDGE, TaskSpawnBench.PORTABLE})
    public String impl;

    @Param({"loopfuture", "cf"})
    public String future;

    private EventLoop loop;
    private Callable<Long> body;

    @Setup(Level.Trial)
    public void setUp() {
        TaskMode mode = switch (impl) {
            case LOOPBRIDGE -> TaskMode.FAST;
            case TaskSpawnBench.PORTABLE -> TaskMode.PORTABLE;
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
        loop = EventLoop.builder().name("bench-" + impl).taskMode(mode).build();
        CompletionStage<Integer> done = switch (future) {
            case "loopfuture" -> {
                LoopFuture<Integer> f = loop.createFuture();
                f.complete(1);
                yield f;
            }
            case "cf" -> CompletableFuture.completedFuture(1);
            default -> throw new IllegalArgumentException("unknown future: " + future);
        };
        body = () -> {
            long sum = 0;
            for (int i = 0; i < AWAITS; i++) {
                sum += Async.await(done);
            }
            if (sum != AWAITS) {
                throw new IllegalStateException(impl + "/" + future + ": awaits summed to " + sum + ", not " + AWAITS);
            }
            return sum;
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loop.close();
    }

    @Benchmark
    @OperationsPerInvocation(AWAITS)
    public long awaitDone() throws Exception {
        return loop.runUntilComplete(body);
    }
}
