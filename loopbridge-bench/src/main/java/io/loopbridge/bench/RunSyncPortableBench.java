package io.loopbridge.bench;

import io.loopbridge.TaskMode;
import java.util.concurrent.FutureTask;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Set "bridges": {@link RunSyncBench}'s benchmarks in a JVM started without
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}, so the loops that {@code Bridge.runSync}
 * and {@code Async.run} create run their tasks in {@code TaskMode.PORTABLE}, as they do for
 * anyone who passes no flag.
 *
 * <p>Without the flag a task's body must run on a virtual thread of the JDK's own scheduler,
 * so a call from a plain thread hands the body to a carrier and waits for it to come back.
 * Two anchors measure that hand-off alone, for the same body in the same kind of JVM:
 * {@value #VTHREAD_JOIN} starts a virtual thread for the body and joins it (what hand-written
 * code does) and {@value #VTHREAD_SPIN} starts one and spins until its result is there (the
 * least the hand-off costs; it burns the calling thread's core while it waits).
 */
@Fork(value = 1, jvmArgsAppend = "-Dloopbridge.bench.fork=no-flag") // replaces BenchBase's --add-opens
public class RunSyncPortableBench extends RunSyncBench {
    static final String VTHREAD_JOIN = "vthread-join";
    static final String VTHREAD_SPIN = "vthread-spin";

    @Param({LOOPBRIDGE, VTHREAD_JOIN, VTHREAD_SPIN})
    public String impl;

    @Setup(Level.Trial)
    public void checkMode() {
        if (TaskMode.best() != TaskMode.PORTABLE) {
            throw new IllegalStateException("this fork was meant to run without the flag, but loops get " + TaskMode.best());
        }
    }

    @Override
    int runSyncCall() throws Exception {
        return impl.equals(LOOPBRIDGE) ? super.runSyncCall() : handOff();
    }

    @Override
    int asyncRunCall() throws Exception {
        return impl.equals(LOOPBRIDGE) ? super.asyncRunCall() : handOff();
    }

    /** The anchors: the body on a new virtual thread, its result awaited by join or by spinning. */
    private int handOff() throws Exception {
        FutureTask<Integer> task = new FutureTask<>(BODY);
        Thread t = Thread.ofVirtual().start(task);
        if (impl.equals(VTHREAD_JOIN)) {
            t.join();
        } else if (impl.equals(VTHREAD_SPIN)) {
            while (!task.isDone()) {
                Thread.onSpinWait();
            }
        } else {
            throw new IllegalArgumentException("unknown impl: " + impl);
        }
        return check(task.get());
    }
}
