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

    /** Set once per trial from {@link #impl}, so a call does not compare strings. */
    private boolean anchor;
    private boolean join;

    @Setup(Level.Trial)
    public void checkMode() {
        if (TaskMode.best() != TaskMode.PORTABLE) {
            throw new IllegalStateException("this fork was meant to run without the flag, but loops get " + TaskMode.best());
        }
        switch (impl) {
            case LOOPBRIDGE -> anchor = false;
            case VTHREAD_JOIN -> { anchor = true; join = true; }
            case VTHREAD_SPIN -> { anchor = true; join = false; }
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        }
    }

    @Override
    int runSyncCall() throws Exception {
        return anchor ? handOff() : super.runSyncCall();
    }

    @Override
    int asyncRunCall() throws Exception {
        return anchor ? handOff() : super.asyncRunCall();
    }

    /** The anchors: the body on a new virtual thread, its result awaited by join or by spinning. */
    private int handOff() throws Exception {
        FutureTask<Integer> task = new FutureTask<>(BODY);
        Thread t = Thread.ofVirtual().start(task);
        if (join) {
            t.join();
        } else {
            while (!task.isDone()) {
                Thread.onSpinWait();
            }
        }
        return check(task.get());
    }
}
