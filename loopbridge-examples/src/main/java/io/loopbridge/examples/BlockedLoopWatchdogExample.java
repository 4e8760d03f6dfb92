package io.loopbridge.examples;

import io.loopbridge.EventLoop;
import java.time.Duration;

/**
 * Python's first "don't", caught: a blocking {@code Thread.sleep} in a loop callback (in
 * asyncio, {@code time.sleep(5)} that "blocks the entire event loop"). A loop built with
 * {@code EventLoop.builder().blockedLoopThreshold(...)} has a watchdog that logs the stack of
 * whatever holds the loop longer than the threshold, while it is still holding it.
 *
 * <p>The callback sleeps in 10 ms naps until the report is in (at most 30 s), so the example
 * shows the report whatever the machine's speed.
 */
public final class BlockedLoopWatchdogExample {
    private BlockedLoopWatchdogExample() {
    }

    public static void main(String[] args) throws Exception {
        WatchdogReports.Report r = run(new Narrator("BlockedLoopWatchdogExample"));
        System.out.println("BlockedLoopWatchdogExample report: " + r.message());
    }

    public static WatchdogReports.Report run(Narrator n) throws Exception {
        try (WatchdogReports reports = new WatchdogReports();
             EventLoop loop = EventLoop.builder().name("watched").blockedLoopThreshold(Duration.ofMillis(50)).build()) {
            loop.callSoon(() -> {
                try {
                    n.say("callback calls Thread.sleep: the whole loop stops with it");
                    sleepUntilReported(reports);
                    n.say("callback done; the watchdog reported while it slept: " + reports.any());
                } finally {
                    loop.stop();
                }
            });
            loop.runForever();
            WatchdogReports.Report r = reports.first();
            if (r == null) {
                throw new IllegalStateException("the watchdog did not report within 30 s");
            }
            n.say("watchdog: " + r.message());
            n.say("the report shows the sleeping frame: " + r.stackShows("java.lang.Thread", "sleep"));
            return r;
        }
    }

    /** The mistake itself: blocking sleeps on the loop thread. */
    private static void sleepUntilReported(WatchdogReports reports) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try {
            while (!reports.any() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
