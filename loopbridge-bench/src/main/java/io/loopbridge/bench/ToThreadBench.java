package io.loopbridge.bench;

import io.loopbridge.EventLoop;
import io.loopbridge.TaskMode;
import io.loopbridge.Threads;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
 * Set "bridges": round trip from an event loop to a worker thread and back, for a body that
 * returns at once: µs per call. Counterpart of bench/python/b6_to_thread.py
 * ({@code await asyncio.to_thread(noop)}, sequential awaits).
 *
 * <p>One invocation makes {@link #CALLS} sequential round trips on the loop and is waited
 * for from the benchmark thread; one op is one round trip. impl values:
 * {@value BenchBase#LOOPBRIDGE}: a task of a FAST-mode loop calls
 * {@code Threads.toThread(() -> 1)} in a row (the loop's default limiter and executor);
 * {@value BenchBase#LOOPBRIDGE_PORTABLE}: the same on a PORTABLE loop;
 * {@value EventThreadCallBench#VERTX}: on a Vert.x 5 event-loop context, each
 * {@code context.executeBlocking(() -> 1)} (Vert.x's default: ordered) starts the next from
 * its completion handler, back on the event loop. Every result is checked.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ToThreadBench extends BenchBase {

    static final int CALLS = 1_000;
    private static final Integer ONE = 1;
    private static final Callable<Integer> BODY = () -> ONE;
    private static final long TIMEOUT_SECONDS = 60;

    @Param({LOOPBRIDGE, LOOPBRIDGE_PORTABLE, EventThreadCallBench.VERTX})
    public String impl;

    private EventLoop loop;
    private Vertx vertx;
    private Context context;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        switch (impl) {
            case LOOPBRIDGE -> loop = EventLoop.builder().name("bench-toThread").taskMode(TaskMode.FAST).build();
            case LOOPBRIDGE_PORTABLE -> loop = EventLoop.builder().name("bench-toThread").taskMode(TaskMode.PORTABLE).build();
            case EventThreadCallBench.VERTX -> {
                vertx = Vertx.vertx();
                context = vertx.getOrCreateContext();
            }
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (loop != null) {
            loop.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public int roundTrips() throws Exception {
        int sum;
        if (loop != null) {
            sum = loop.runUntilComplete(() -> {
                int s = 0;
                for (int i = 0; i < CALLS; i++) {
                    s += Threads.toThread(BODY);
                }
                return s;
            });
        } else {
            VertxChain chain = new VertxChain(context);
            context.runOnContext(v -> chain.next());
            sum = chain.done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        if (sum != CALLS) {
            throw new IllegalStateException(impl + ": " + CALLS + " round trips summed to " + sum);
        }
        return sum;
    }

    /** Sequential executeBlocking calls, each started by the previous one's completion on the event loop. */
    private static final class VertxChain {
        final Context context;
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        int calls;
        int sum;

        VertxChain(Context context) {
            this.context = context;
        }

        void next() {
            if (calls == CALLS) {
                done.complete(sum);
                return;
            }
            calls++;
            context.executeBlocking(BODY).onComplete((result, failure) -> {
                if (failure != null) {
                    done.completeExceptionally(failure);
                    return;
                }
                sum += result;
                next();
            });
        }
    }
}
