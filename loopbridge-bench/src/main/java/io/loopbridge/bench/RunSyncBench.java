package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.Bridge;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "bridges": running loop-using code from a plain thread (the benchmark thread), for a
 * body that returns at once: ns per call. loopbridge's alone (no impl param); paired with the
 * asyncio baselines only.
 *
 * <ul>
 *   <li>{@link #runSync}: {@code Bridge.runSync(() -> 1)}: the body runs as a task of the
 *       loop cached for this thread. Counterpart of bench/python/b2_cached_loop.py
 *       ({@code run_until_complete} on a cached loop, and the full honest run_sync branch).</li>
 *   <li>{@link #asyncRun}: {@code Async.run(() -> 1)}: a new loop per call, closed after it
 *       (asyncio.run). Counterpart of bench/python/b1_asyncio_run.py.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RunSyncBench extends BenchBase {

    private static final Integer ONE = 1;
    static final Callable<Integer> BODY = () -> ONE;

    @TearDown
    public void tearDown() {
        Bridge.closeThreadLoop();
    }

    @Benchmark
    public int runSync() throws Exception {
        return runSyncCall();
    }

    @Benchmark
    public int asyncRun() throws Exception {
        return asyncRunCall();
    }

    /** One {@link #runSync} call (a subclass may measure an anchor instead). */
    int runSyncCall() throws Exception {
        return check(Bridge.runSync(BODY));
    }

    /** One {@link #asyncRun} call (a subclass may measure an anchor instead). */
    int asyncRunCall() throws Exception {
        return check(Async.run(BODY));
    }

    static int check(Integer result) {
        if (result != ONE) {
            throw new IllegalStateException("runSync returned " + result);
        }
        return result;
    }
}
