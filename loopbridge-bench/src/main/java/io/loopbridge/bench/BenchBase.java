package io.loopbridge.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The one place that fixes how every loopbridge benchmark is run: forks, warm-up,
 * measurement and the JVM flags of the forked JVM. Subclasses add only their parameters,
 * state and {@code @Benchmark} methods; a latency benchmark overrides
 * {@code @BenchmarkMode}/{@code @OutputTimeUnit} on its method.
 *
 * <p>The budget is sized for a 2-core machine where a whole set (bench/run.sh SET) should
 * finish in a few minutes; pass JMH's own options ({@code -f}, {@code -wi}, {@code -i},
 * {@code -r}) through bench/run.sh for a longer, steadier run.
 *
 * <p>Forked JVMs get {@code --add-opens java.base/java.lang=ALL-UNNAMED} so loopbridge
 * runs in its fast task mode; the jar's {@code Add-Opens} manifest line does not reach
 * them, since JMH starts forks with {@code -cp}, not {@code -jar}.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public abstract class BenchBase {

    /** The {@code impl} parameter value that names loopbridge; every other value is an anchor. */
    public static final String LOOPBRIDGE = "loopbridge";

    /**
     * loopbridge with its blocked-loop watchdog turned off ({@code blockedLoopThreshold(null)}):
     * beside {@link #LOOPBRIDGE} in the same run, the price of the watchdog that is on by default.
     */
    public static final String NO_WATCHDOG = "loopbridge-nowatchdog";

    /** loopbridge in {@code TaskMode.PORTABLE}: what a JVM without the flag gets. */
    public static final String LOOPBRIDGE_PORTABLE = "loopbridge-portable";
}
