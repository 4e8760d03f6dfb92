package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "tasks": spawn + complete throughput, one op = one task. Counterpart of
 * bench/python/b7_tasks.py ({@code tasks_create_gather_throughput}): inside a running loop
 * one task creates {@link #BATCH} tasks of a trivial body with {@code loop.createTask} and
 * awaits {@code Async.gather} of them all (b7 creates 100,000 per repeat; 10,000 here gives
 * JMH many invocations per 1 s iteration, even for the slow PORTABLE mode).
 *
 * <p>impl values: {@value BenchBase#LOOPBRIDGE} (the loop in {@link TaskMode#FAST}),
 * {@value #PORTABLE} (the same loop in {@link TaskMode#PORTABLE}), {@value #VTHREADS}
 * (the JDK alone: {@code Thread.ofVirtual().start} of the same trivial work, then a join of
 * each, from the benchmark thread, on the scheduler's two carriers), {@value #VTHREADS_ONE_CARRIER}
 * (the same work on one thread, as a loop has: see {@link OneCarrier}), {@value #KOTLIN_SINGLE}
 * and {@value #KOTLIN_RUNBLOCKING}
 * (Kotlin coroutines, {@link KotlinAnchor#spawnJoin}: one parent coroutine {@code launch}es
 * {@link #BATCH} coroutines of a trivial body and {@code join}s each, on a single-thread
 * executor's dispatcher or on {@code runBlocking}'s event loop in the benchmark thread).
 * Every invocation checks that every task finished with its result, or throws.
 */
public class TaskSpawnBench extends BenchBase {

    static final int BATCH = 10_000;
    static final String PORTABLE = LOOPBRIDGE_PORTABLE;
    static final String VTHREADS = "vthreads";
    /** Bare virtual threads started, run and joined on one carrier ({@link OneCarrier}). */
    static final String VTHREADS_ONE_CARRIER = OneCarrier.IMPL;
    /** Kotlin coroutines on {@code Executors.newSingleThreadExecutor().asCoroutineDispatcher()}. */
    static final String KOTLIN_SINGLE = "kotlin-single";
    /** Kotlin coroutines on {@code runBlocking}'s event loop, in the calling thread. */
    static final String KOTLIN_RUNBLOCKING = "kotlin-runblocking";

    private static final Integer ONE = 1;
    private static final Callable<Integer> TRIVIAL = () -> ONE;
    private static final Runnable TRIVIAL_RUNNABLE = () -> { };

    @Param({LOOPBRIDGE, NO_WATCHDOG, PORTABLE, VTHREADS, VTHREADS_ONE_CARRIER, KOTLIN_SINGLE, KOTLIN_RUNBLOCKING})
    public String impl;

    private EventLoop loop;
    private KotlinAnchor kotlin;
    private Callable<Integer> spawnAndGather;

    @Setup(Level.Trial)
    public void setUp() {
        TaskMode mode = switch (impl) {
            case LOOPBRIDGE, NO_WATCHDOG -> TaskMode.FAST;
            case PORTABLE -> TaskMode.PORTABLE;
            case VTHREADS, VTHREADS_ONE_CARRIER, KOTLIN_SINGLE, KOTLIN_RUNBLOCKING -> null;
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
        if (impl.equals(VTHREADS_ONE_CARRIER)) {
            OneCarrier.require();
        }
        kotlin = kotlinAnchor(impl);
        if (mode != null) {
            EventLoop.Builder b = EventLoop.builder().name("bench-" + impl).taskMode(mode);
            if (impl.equals(NO_WATCHDOG)) {
                b.blockedLoopThreshold(null);
            }
            loop = b.build();
            EventLoop l = loop;
            spawnAndGather = () -> {
                List<Task<Integer>> tasks = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    tasks.add(l.createTask(TRIVIAL));
                }
                List<Integer> results = Async.await(Async.gather(tasks));
                return verify(results);
            };
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (loop != null) {
            loop.close();
        }
        if (kotlin != null) {
            kotlin.close();
        }
    }

    /** The Kotlin anchor an impl value names, or null for one that is not Kotlin's. */
    static KotlinAnchor kotlinAnchor(String impl) {
        return switch (impl) {
            case KOTLIN_SINGLE -> KotlinAnchor.singleThread();
            case KOTLIN_RUNBLOCKING -> KotlinAnchor.runBlockingLoop();
            default -> null;
        };
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int spawnComplete() throws Exception {
        if (loop != null) {
            return loop.runUntilComplete(spawnAndGather);
        }
        if (kotlin != null) {
            return kotlin.spawnJoin(BATCH);
        }
        if (impl.equals(VTHREADS_ONE_CARRIER)) {
            return OneCarrier.call(TaskSpawnBench::startAndJoin);
        }
        return startAndJoin();
    }

    /** {@link #BATCH} bare virtual threads of the trivial body, started, then each joined. */
    private static int startAndJoin() throws InterruptedException {
        Thread[] threads = new Thread[BATCH];
        Thread.Builder.OfVirtual builder = Thread.ofVirtual();
        for (int i = 0; i < BATCH; i++) {
            threads[i] = builder.start(TRIVIAL_RUNNABLE);
        }
        for (Thread t : threads) {
            t.join();
        }
        return BATCH;
    }

    private int verify(List<Integer> results) {
        if (results.size() != BATCH) {
            throw new IllegalStateException(impl + ": LOST TASKS: gathered " + results.size() + "/" + BATCH);
        }
        for (int i = 0; i < BATCH; i++) {
            if (results.get(i) != ONE) {
                throw new IllegalStateException(impl + ": task " + i + " returned " + results.get(i));
            }
        }
        return BATCH;
    }
}
