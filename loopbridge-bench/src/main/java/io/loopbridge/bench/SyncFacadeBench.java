package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.SyncFacade;
import io.loopbridge.TaskMode;
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
 * Set "bridges": the cost of a {@code SyncFacade} call over calling the async method and
 * waiting for it by hand, for an async method that returns
 * {@code CompletableFuture.completedFuture(x)}: ns per call. Counterpart of
 * bench/python/b9_smartasync.py (the smartasync wrapper's overhead).
 *
 * <p>impl values: {@value BenchBase#LOOPBRIDGE}: {@code facade.echo(i)} through
 * {@code SyncFacade.of(Echo.class, new AsyncEcho())}; {@value #DIRECT}: the async method
 * called and waited for directly: {@code async.echo(i).join()} on a plain thread,
 * {@code Async.await(async.echo(i))} inside a task. ctx: {@code thread} (the benchmark
 * thread, a plain thread) or {@code task} (inside a task of a FAST-mode loop; one
 * {@code runUntilComplete} per invocation). One invocation makes {@link #CALLS} calls. The
 * difference loopbridge − direct is the facade's overhead; bench/report.py prints it as its
 * own row ({@code SyncFacadeBench.call:overhead}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SyncFacadeBench extends BenchBase {

    static final int CALLS = 10_000;
    static final String DIRECT = "direct";

    /** The synchronous face. */
    public interface Echo {
        int echo(int x);
    }

    /** The asynchronous implementation the facade wraps. */
    public static final class AsyncEcho {
        public CompletableFuture<Integer> echo(int x) {
            return CompletableFuture.completedFuture(x);
        }
    }

    @Param({LOOPBRIDGE, DIRECT})
    public String impl;

    @Param({"thread", "task"})
    public String ctx;

    private final AsyncEcho async = new AsyncEcho();
    private Echo facade;
    private EventLoop loop;
    private Callable<Long> calls;

    @Setup(Level.Trial)
    public void setUp() {
        facade = SyncFacade.of(Echo.class, async);
        calls = switch (impl) {
            case LOOPBRIDGE -> this::viaFacade;
            case DIRECT -> "task".equals(ctx) ? this::awaitDirect : this::joinDirect;
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
        switch (ctx) {
            case "thread" -> { }
            case "task" -> loop = EventLoop.builder().name("bench-facade").taskMode(TaskMode.FAST).build();
            default -> throw new IllegalArgumentException("unknown ctx: " + ctx);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (loop != null) {
            loop.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long call() throws Exception {
        long sum = loop == null ? calls.call() : loop.runUntilComplete(calls);
        long expected = (long) CALLS * (CALLS - 1) / 2;
        if (sum != expected) {
            throw new IllegalStateException(impl + "/" + ctx + ": calls summed to " + sum + ", not " + expected);
        }
        return sum;
    }

    private long viaFacade() {
        Echo f = facade;
        long sum = 0;
        for (int i = 0; i < CALLS; i++) {
            sum += f.echo(i);
        }
        return sum;
    }

    private long joinDirect() {
        AsyncEcho a = async;
        long sum = 0;
        for (int i = 0; i < CALLS; i++) {
            sum += a.echo(i).join();
        }
        return sum;
    }

    private long awaitDirect() throws Exception {
        AsyncEcho a = async;
        long sum = 0;
        for (int i = 0; i < CALLS; i++) {
            sum += Async.await(a.echo(i));
        }
        return sum;
    }
}
