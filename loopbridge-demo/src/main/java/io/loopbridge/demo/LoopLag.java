package io.loopbridge.demo;

import io.loopbridge.EventLoop;
import io.loopbridge.TimerHandle;
import java.time.Duration;

/**
 * Measures loop lag the way asyncio monitors do: a timer due every 100 ms records how late the
 * loop ran it. A loop that keeps up shows tens of microseconds; a stalled one shows the stall.
 * Confined to its loop.
 */
final class LoopLag {
    private static final Duration PERIOD = Duration.ofMillis(100);
    private final EventLoop loop;
    private final double[] window = new double[10];  // the last second
    private int n;
    private double last;
    private double max;
    private TimerHandle timer;
    private long due;

    LoopLag(EventLoop loop) {
        this.loop = loop;
    }

    void start() {
        due = loop.time() + PERIOD.toNanos();
        timer = loop.callAt(due, this::tick);
    }

    private void tick() {
        long now = loop.time();
        last = (now - due) / 1e6;
        window[n++ % window.length] = last;
        max = Math.max(max, last);
        due = now + PERIOD.toNanos();
        timer = loop.callAt(due, this::tick);
    }

    void stop() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    String json() {
        double m = 0;
        for (int i = 0; i < Math.min(n, window.length); i++) {
            m = Math.max(m, window[i]);
        }
        return new Json().put("lastMs", round(last)).put("max1sMs", round(m)).put("maxEverMs", round(max))
                .put("samples", n).end();
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }
}
