package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntUnaryOperator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "tasks": the Lettuce-style case, many tasks each awaiting a future that another thread
 * completes; one op = one awaited completion. As a Lettuce user's code issues commands
 * whose futures a Netty I/O thread completes as the replies come in: one task creates
 * {@link #BATCH} tasks; task i creates a {@link CompletableFuture} (Lettuce's command
 * futures are {@code CompletableFuture}s), hands {@code complete(i + 1)} to the
 * {@link Completer} (one persistent platform thread that runs what it is handed, in order)
 * and awaits it; the parent gathers them all. Every invocation checks that task i received
 * i + 1, or throws.
 *
 * <p>impl values: {@value BenchBase#LOOPBRIDGE} (the loop in {@link TaskMode#FAST}, tasks
 * {@code Async.await} the future), {@value TaskSpawnBench#PORTABLE} (the same in
 * {@link TaskMode#PORTABLE}); anchors: {@value TaskSpawnBench#VTHREADS} ({@link #BATCH}
 * virtual threads started from the benchmark thread, each blocking in
 * {@code CompletableFuture.join}, then joined; {@value TaskSpawnBench#VTHREADS_ONE_CARRIER}: the
 * same on one thread, as a loop has, see {@link OneCarrier}), {@value TaskSpawnBench#KOTLIN_SINGLE} and
 * {@value TaskSpawnBench#KOTLIN_RUNBLOCKING} ({@link KotlinAnchor#awaitCompletions}:
 * {@link #BATCH} coroutines each awaiting a {@code CompletableDeferred} the completer
 * completes, launched and joined by one parent coroutine).
 */
public class TaskCrossThreadCompletionBench extends BenchBase {

    static final int BATCH = 10_000;

    @Param({LOOPBRIDGE, TaskSpawnBench.PORTABLE, TaskSpawnBench.VTHREADS, TaskSpawnBench.VTHREADS_ONE_CARRIER,
            TaskSpawnBench.KOTLIN_SINGLE, TaskSpawnBench.KOTLIN_RUNBLOCKING})
    public String impl;

    private Completer completer;
    private EventLoop loop;
    private KotlinAnchor kotlin;
    private Callable<Integer> spawnAndGather;

    @Setup(Level.Trial)
    public void setUp() {
        TaskMode mode = switch (impl) {
            case LOOPBRIDGE -> TaskMode.FAST;
            case TaskSpawnBench.PORTABLE -> TaskMode.PORTABLE;
            case TaskSpawnBench.VTHREADS, TaskSpawnBench.VTHREADS_ONE_CARRIER,
                 TaskSpawnBench.KOTLIN_SINGLE, TaskSpawnBench.KOTLIN_RUNBLOCKING -> null;
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
        if (impl.equals(TaskSpawnBench.VTHREADS_ONE_CARRIER)) {
            OneCarrier.require();
        }
        completer = new Completer("completer-" + impl);
        kotlin = TaskSpawnBench.kotlinAnchor(impl);
        if (mode != null) {
            loop = EventLoop.builder().name("bench-" + impl).taskMode(mode).build();
            if (loop.taskMode() != mode) {
                throw new IllegalStateException("asked for " + mode + " but the loop runs in " + loop.taskMode());
            }
            EventLoop l = loop;
            Completer c = completer;
            spawnAndGather = () -> {
                List<Task<Integer>> tasks = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    int index = i;
                    tasks.add(l.createTask(() -> {
                        CompletableFuture<Integer> f = new CompletableFuture<>();
                        c.execute(() -> f.complete(index + 1));
                        return Async.await(f);
                    }));
                }
                List<Integer> results = Async.await(Async.gather(tasks));
                if (results.size() != BATCH) {
                    throw new IllegalStateException(impl + ": LOST TASKS: gathered " + results.size() + "/" + BATCH);
                }
                return verify(results::get);
            };
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        try {
            if (loop != null) {
                loop.close();
            }
            if (kotlin != null) {
                kotlin.close();
            }
        } finally {
            completer.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int awaitCompletion() throws Exception {
        if (loop != null) {
            return loop.runUntilComplete(spawnAndGather);
        }
        if (kotlin != null) {
            int[] results = kotlin.awaitCompletions(BATCH, completer);
            return verify(i -> results[i]);
        }
        if (impl.equals(TaskSpawnBench.VTHREADS_ONE_CARRIER)) {
            return OneCarrier.call(this::startAndJoin);
        }
        return startAndJoin();
    }

    /** {@link #BATCH} bare virtual threads, each awaiting its completion in {@code join}, started, then each joined. */
    private int startAndJoin() throws InterruptedException {
        int[] results = new int[BATCH];
        Thread[] threads = new Thread[BATCH];
        Thread.Builder.OfVirtual builder = Thread.ofVirtual();
        Completer c = completer;
        for (int i = 0; i < BATCH; i++) {
            int index = i;
            threads[i] = builder.start(() -> {
                CompletableFuture<Integer> f = new CompletableFuture<>();
                c.execute(() -> f.complete(index + 1));
                results[index] = f.join();
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        return verify(i -> results[i]);
    }

    /** Checks that task i received i + 1 (a lost completion leaves 0, a misrouted one another value). */
    private int verify(IntUnaryOperator received) {
        for (int i = 0; i < BATCH; i++) {
            int got = received.applyAsInt(i);
            if (got != i + 1) {
                throw new IllegalStateException(impl + ": task " + i + " received " + got + ", not " + (i + 1));
            }
        }
        return BATCH;
    }
}
