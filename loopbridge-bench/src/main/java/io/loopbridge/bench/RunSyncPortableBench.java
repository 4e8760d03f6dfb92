package io.loopbridge.bench;

import io.loopbridge.TaskMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * Set "bridges": {@link RunSyncBench}'s benchmarks in a JVM started without
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}, so the loops that {@code Bridge.runSync}
 * and {@code Async.run} create run their tasks in {@code TaskMode.PORTABLE}, as they do for
 * anyone who passes no flag.
 */
@Fork(value = 1, jvmArgsAppend = "-Dloopbridge.bench.fork=no-flag") // replaces BenchBase's --add-opens
public class RunSyncPortableBench extends RunSyncBench {

    @Setup(Level.Trial)
    public void checkMode() {
        if (TaskMode.best() != TaskMode.PORTABLE) {
            throw new IllegalStateException("this fork was meant to run without the flag, but loops get " + TaskMode.best());
        }
    }
}
