package io.loopbridge.bench;

import io.loopbridge.EventLoop;
import io.loopbridge.EventThread;
import io.loopbridge.TaskMode;
import io.netty.channel.DefaultEventLoop;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "bridges": one round trip from a plain thread (the benchmark thread) to an event loop
 * running in its own thread and back, waiting for the result: µs per call. Counterpart of
 * bench/python/b4_threadsafe_roundtrip.py ({@code run_coroutine_threadsafe(...).result()}).
 *
 * <p>impl values: {@value BenchBase#LOOPBRIDGE}: {@code eventThread.call(() -> 1)} (the body
 * runs as a task of the EventThread's FAST loop; {@value BenchBase#LOOPBRIDGE_PORTABLE}: the same
 * on a PORTABLE loop); {@value SingleThreadTarget#NETTY}:
 * {@code DefaultEventLoop.submit(callable).get()}; {@value SingleThreadTarget#TPE}:
 * {@code Executors.newSingleThreadExecutor().submit(callable).get()}; {@value #VERTX}:
 * {@code context.runOnContext(v -> cf.complete(1))} on one Vert.x 5 event-loop context,
 * then {@code cf.get()}. Every call checks its result.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EventThreadCallBench extends BenchBase {

    static final String VERTX = "vertx";
    private static final Integer ONE = 1;
    private static final Callable<Integer> BODY = () -> ONE;

    @Param({LOOPBRIDGE, LOOPBRIDGE_PORTABLE, SingleThreadTarget.NETTY, SingleThreadTarget.TPE, VERTX})
    public String impl;

    private EventThread eventThread;
    private DefaultEventLoop netty;
    private ExecutorService tpe;
    private Vertx vertx;
    private Context context;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        switch (impl) {
            case LOOPBRIDGE -> eventThread = new EventThread("bench",
                    EventLoop.builder().taskMode(TaskMode.FAST)).start();
            case LOOPBRIDGE_PORTABLE -> eventThread = new EventThread("bench",
                    EventLoop.builder().taskMode(TaskMode.PORTABLE)).start();
            case SingleThreadTarget.NETTY -> netty = new DefaultEventLoop();
            case SingleThreadTarget.TPE -> tpe = Executors.newSingleThreadExecutor(r -> new Thread(r, "tpe-bench"));
            case VERTX -> {
                vertx = Vertx.vertx();
                context = vertx.getOrCreateContext();
            }
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        }
        check(call());   // the thread is up and the round trip works before the clock starts
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (eventThread != null) {
            eventThread.close();
        }
        if (netty != null) {
            netty.shutdownGracefully(0, 10, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (tpe != null) {
            tpe.shutdown();
            tpe.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public int roundTrip() throws Exception {
        return check(call());
    }

    private Integer call() throws Exception {
        return switch (impl) {
            case LOOPBRIDGE, LOOPBRIDGE_PORTABLE -> eventThread.call(BODY);
            case SingleThreadTarget.NETTY -> netty.submit(BODY).get();
            case SingleThreadTarget.TPE -> tpe.submit(BODY).get();
            default -> {
                CompletableFuture<Integer> cf = new CompletableFuture<>();
                context.runOnContext(v -> cf.complete(ONE));
                yield cf.get();
            }
        };
    }

    private int check(Integer result) {
        if (result != ONE) {
            throw new IllegalStateException(impl + ": round trip returned " + result);
        }
        return result;
    }
}
