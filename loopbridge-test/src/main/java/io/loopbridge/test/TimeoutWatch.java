package io.loopbridge.test;

import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.internal.InspectableLoop;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The real-time limit of one task run by a {@link LoopTest}. When it passes, the loop itself
 * records where each of its pending tasks is suspended and cancels the main task. A task
 * sees a cancellation only at a suspension point of the library, so if the main task has not
 * ended a second later (it sits in a JDK blocking call: {@code Thread.sleep}, a blocking
 * queue, socket I/O), its thread is interrupted; and if the loop did not even run the report
 * (such a call holds the loop, as in PORTABLE mode), the report is taken from outside (the
 * loop thread's stack, the main task's) and the loop's thread is interrupted too, which also
 * cancels the main task. Thread-safe.
 */
final class TimeoutWatch {
    /** One daemon thread for every test's deadline (a name the leak check knows). */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "loopbridge-test-timeouts");
        t.setDaemon(true);
        return t;
    });
    private static final long ESCALATE_AFTER_MILLIS = 1_000;

    private final Duration timeout;
    private final EventLoop loop;
    private final String name;
    private volatile Task<?> main;
    /** The thread running the main task's body, once it started. */
    private volatile Thread body;
    private final Thread runner = Thread.currentThread();
    /** The report, set once: by the loop, or from outside when the loop did not respond. */
    private final AtomicReference<String> report = new AtomicReference<>();
    private volatile boolean expired;
    private volatile boolean finished;
    private ScheduledFuture<?> pending;

    TimeoutWatch(Duration timeout, EventLoop loop, String name) {
        this.timeout = timeout;
        this.loop = loop;
        this.name = name;
    }

    /** Starts the clock on {@code task}, the task that runs the method. */
    synchronized void start(Task<?> task) {
        main = task;
        pending = TIMER.schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Called by the main task's body as it starts: the thread to interrupt if it ignores cancellation. */
    void bodyStarted() {
        body = Thread.currentThread();
    }

    boolean expired() {
        return expired;
    }

    /** The run is over: no report or interrupt may come after this. */
    synchronized void cancel() {
        finished = true;
        pending.cancel(false);
    }

    /** The failure to throw for an expired run. */
    TimeoutException failure() {
        return new TimeoutException(name + "() timed out after " + format(timeout) + " (real time) on loop '"
                + loop.name() + "'; it was cancelled. " + report.get());
    }

    private synchronized void expire() {
        if (finished) {
            return;
        }
        expired = true;
        try {
            loop.callSoonThreadsafe(() -> {
                report.compareAndSet(null, describePending());
                main.cancel("timed out after " + format(timeout));
            });
        } catch (RejectedExecutionException e) {
            report.compareAndSet(null, "The loop was already closed.");
            return;
        }
        pending = TIMER.schedule(this::escalate, ESCALATE_AFTER_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** On the loop: its unfinished tasks, each where it is suspended. */
    private String describePending() {
        java.util.List<?> tasks = ((InspectableLoop) loop).unfinishedTasks();
        return tasks.size() + " task(s) were pending:" + PendingTasks.describe(tasks);
    }

    /** The main task did not end on cancellation: it is in a JDK blocking call, maybe one that holds the loop. */
    private synchronized void escalate() {
        if (finished) {
            return;
        }
        StringBuilder sb = new StringBuilder("The loop did not respond within ").append(ESCALATE_AFTER_MILLIS)
                .append(" ms (a blocking call in a task holds it?); its thread '").append(runner.getName()).append("' is at:");
        for (StackTraceElement e : runner.getStackTrace()) {
            if (PendingTasks.isHarness(e)) {
                break;
            }
            sb.append("\n          ").append(e);
        }
        sb.append("\n    and the test's task:").append(PendingTasks.describe(java.util.List.of(main)));
        boolean loopHeld = report.compareAndSet(null, sb.toString()); // before the interrupt lets the loop go on
        Thread b = body;
        if (b != null) {
            b.interrupt(); // ends Thread.sleep, a blocking queue's wait, interruptible I/O
        }
        if (loopHeld) {
            runner.interrupt(); // runUntilComplete turns this into a cancellation of the main task
        }
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
