package io.loopbridge;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * loopbridge's JDK Flight Recorder events, for operators who watch a service in JDK Mission
 * Control or with {@code jfr print --events io.loopbridge.*}. Each names its loop and, where one
 * runs, its task. A disabled event costs nothing measurable: its object is never allocated
 * once the JIT sees that the event is off. Thread-safe (each event is used by one thread).
 */
final class LoopEvents {
    private LoopEvents() {
    }

    /** A callback or task step that held its loop longer than the threshold (100 ms by default). */
    @Name("io.loopbridge.SlowCallback")
    @Label("Slow Callback")
    @Category({"loopbridge"})
    @Description("A callback or task step held its event loop longer than the threshold")
    @Threshold("100 ms")
    @StackTrace(false)
    static final class SlowCallback extends Event {
        @Label("Loop")
        String loop;
        @Label("Task")
        String task;
        @Label("Callback")
        String callback;
    }

    /** The watchdog found a loop blocked by one callback or task step (still blocked). */
    @Name("io.loopbridge.BlockedLoop")
    @Label("Blocked Loop")
    @Category({"loopbridge"})
    @Description("An event loop has been held by one callback or task step for longer than its blocked-loop threshold")
    @StackTrace(false)
    static final class BlockedLoop extends Event {
        @Label("Loop")
        String loop;
        @Label("Task")
        String task;
        @Label("Blocked For")
        @Timespan(Timespan.NANOSECONDS)
        long blockedFor;
        @Label("Blocking Stack")
        String stack;
    }

    /** A blocking call refused by the one rule (on a loop thread outside a task, or a foreign event loop's). */
    @Name("io.loopbridge.RefusedBlockingCall")
    @Label("Refused Blocking Call")
    @Category({"loopbridge"})
    @Description("A blocking call was refused because it would have stalled an event loop")
    static final class RefusedBlockingCall extends Event {
        @Label("Call")
        String call;
        @Label("Loop")
        String loop;
        @Label("Message")
        String message;
    }

    /** Blocking work handed to a worker by Threads.toThread: its run, and its wait for a permit. */
    @Name("io.loopbridge.ToThread")
    @Label("To Thread")
    @Category({"loopbridge"})
    @Description("Blocking work a task ran on a worker thread (Threads.toThread), with its wait for a CapacityLimiter permit")
    @Threshold("20 ms")
    @StackTrace(false)
    static final class ToThread extends Event {
        @Label("Loop")
        String loop;
        @Label("Task")
        String task;
        @Label("Permit Wait")
        @Timespan(Timespan.NANOSECONDS)
        long permitWait;
    }

    /** How long a callback posted to a running loop waited to run (sampled, once a period per loop). */
    @Name("io.loopbridge.LoopLag")
    @Label("Loop Lag")
    @Category({"loopbridge"})
    @Description("How long a callback posted to a running event loop waited before it ran")
    @Period("1 s")
    @StackTrace(false)
    static final class LoopLag extends Event {
        @Label("Loop")
        String loop;
        @Label("Lag")
        @Timespan(Timespan.NANOSECONDS)
        long lag;
        @Label("Tasks")
        int tasks;
    }

    static {
        FlightRecorder.addPeriodicEvent(LoopLag.class, LoopEvents::sampleLag);
    }

    /** Registers the periodic events (idempotent; called when the first loop is built). */
    static void register() {
        // The static initializer does the work.
    }

    /** Posts a marker to every running loop; the lag is how long it waited to run. */
    private static void sampleLag() {
        for (LoopWatch running : RunningTurns.running()) {
            Loop loop = running.loop;
            long posted = System.nanoTime();
            loop.post(new Callback(() -> {
                LoopLag e = new LoopLag();
                e.loop = loop.name();
                e.lag = System.nanoTime() - posted;
                e.tasks = loop.tasks().size();
                e.commit();
            }, null));
        }
    }

    /** Records a refusal of the one rule. */
    static void refused(String call, Loop loop, String message) {
        RefusedBlockingCall e = new RefusedBlockingCall();
        if (e.isEnabled()) {
            e.call = call;
            e.loop = loop != null ? loop.name() : null;
            e.message = message;
            e.commit();
        }
    }
}
