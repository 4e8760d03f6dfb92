package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.Runner;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Python's "DON'T: use time.sleep() in async", in both task modes. A task calls
 * {@code Thread.sleep} while another task of its loop wants to run:
 * <ul>
 *   <li>FAST mode ({@code --add-opens java.base/java.lang=ALL-UNNAMED}): a task is a virtual
 *       thread scheduled by the loop, so {@code Thread.sleep} parks only the task; the other
 *       task runs meanwhile. Harmless here, though {@link Async#sleep} is the portable way.</li>
 *   <li>PORTABLE mode: the sleep holds the loop, as in asyncio; the other task cannot run, and
 *       the blocked-loop watchdog reports the sleeping task with its stack.</li>
 * </ul>
 * Then the right way, {@code Async.sleep}, which lets the other task run in both modes.
 */
public final class SleepInTaskExample {
    private SleepInTaskExample() {
    }

    /**
     * @param mode                  the loop's task mode
     * @param otherRanDuringSleep   whether the other task ran while the sleeper was in Thread.sleep
     * @param watchdogReport        the watchdog's report about the sleeping task, or null
     * @param otherRanDuringAsyncSleep whether the other task ran during Async.sleep
     */
    public record Outcome(TaskMode mode, boolean otherRanDuringSleep, String watchdogReport,
                          boolean otherRanDuringAsyncSleep) {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("SleepInTaskExample"));
    }

    public static Outcome run(Narrator n) throws Exception {
        try (WatchdogReports reports = new WatchdogReports();
             Runner runner = new Runner(EventLoop.builder().name("sleepy").blockedLoopThreshold(Duration.ofMillis(200)))) {
            TaskMode mode = runner.loop().taskMode();

            // The mistake: Thread.sleep in a task. Naps until the other task ran or the watchdog spoke.
            AtomicBoolean otherRan = new AtomicBoolean();
            runner.run(() -> {
                Task<Void> other = Async.spawn("other-task", () -> {
                    n.say("other task runs");
                    otherRan.set(true);
                    return null;
                });
                n.say("task calls Thread.sleep");
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!otherRan.get() && !reports.any() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                n.say(otherRan.get() ? "Thread.sleep parked only this task: the other task ran meanwhile"
                        : "Thread.sleep held the loop: the watchdog reported it");
                Async.await(other);
                return null;
            });
            boolean ranDuringSleep = otherRan.get() && !reports.any();
            WatchdogReports.Report report = reports.first();
            if (report != null) {
                n.say("watchdog: " + report.message());
            }

            // The right way: Async.sleep suspends the task; the loop runs the other one.
            AtomicBoolean otherRan2 = new AtomicBoolean();
            boolean ranDuringAsyncSleep = runner.run(() -> {
                Async.spawn("other-task-2", () -> {
                    n.say("other task runs during Async.sleep");
                    otherRan2.set(true);
                    return null;
                });
                n.say("task calls Async.sleep");
                Async.sleep(Duration.ofMillis(20));
                Async.checkpoint();
                return otherRan2.get();
            });
            n.say("Async.sleep let the other task run: " + ranDuringAsyncSleep);
            return new Outcome(mode, ranDuringSleep, report == null ? null : report.message(), ranDuringAsyncSleep);
        }
    }
}
