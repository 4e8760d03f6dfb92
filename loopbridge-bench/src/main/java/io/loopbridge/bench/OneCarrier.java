package io.loopbridge.bench;

import java.lang.reflect.Field;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.FutureTask;

/**
 * The {@value #IMPL} anchor: bare virtual threads on one thread, as a loop runs its tasks.
 * The JDK's virtual-thread scheduler is cut to one carrier, and the code that starts and joins
 * the threads runs in a virtual thread on that carrier too, so starting, running and joining
 * share one thread, as a FAST loop's tasks share the loop's thread. The plain
 * {@value TaskSpawnBench#VTHREADS} anchor starts them from the benchmark thread onto both
 * carriers: three threads on two cores.
 *
 * <p>The scheduler reads its parallelism once, when the JVM's first virtual thread is made;
 * JMH runs each parameter combination in a fork of its own, so a trial that calls
 * {@link #require()} in its setup gets a scheduler of one carrier, and {@link #require()}
 * checks that it did. Called from the benchmark thread only.
 */
final class OneCarrier {
    static final String IMPL = "vthreads-1carrier";
    private static final String PARALLELISM = "jdk.virtualThreadScheduler.parallelism";

    private OneCarrier() { }

    /** Cuts the scheduler to one carrier; throws if a virtual thread was made before. */
    static void require() {
        System.setProperty(PARALLELISM, "1");
        int p = schedulerParallelism();
        if (p != 1) {
            throw new IllegalStateException(IMPL + ": the virtual-thread scheduler has " + p
                    + " carriers: a virtual thread was made in this fork before the setup set " + PARALLELISM);
        }
    }

    /** Runs {@code body} in a virtual thread on the one carrier and returns what it returned. */
    static <T> T call(Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(body);
        Thread.ofVirtual().start(task).join();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The default scheduler's parallelism (the forks get --add-opens java.base/java.lang). */
    private static int schedulerParallelism() {
        try {
            Field f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
            f.setAccessible(true);
            return ((ForkJoinPool) f.get(null)).getParallelism();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(IMPL + ": cannot read the virtual-thread scheduler's parallelism", e);
        }
    }
}
