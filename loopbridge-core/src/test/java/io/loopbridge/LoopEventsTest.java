package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;

/** Each of loopbridge's JFR events, recorded with a RecordingStream while the library does the thing. */
class LoopEventsTest {

    /** Starts a stream of one event; the first event accepted by {@code accept} is kept and counted down. */
    private static final class Watch implements AutoCloseable {
        final RecordingStream stream = new RecordingStream();
        final AtomicReference<RecordedEvent> event = new AtomicReference<>();
        final CountDownLatch seen = new CountDownLatch(1);

        Watch(Class<? extends jdk.jfr.Event> eventClass, java.util.function.Consumer<jdk.jfr.EventSettings> settings,
              java.util.function.Predicate<RecordedEvent> accept) throws InterruptedException {
            jdk.jfr.EventType type = jdk.jfr.EventType.getEventType(eventClass);
            String name = type.getName();
            settings.accept(stream.enable(name));
            stream.onEvent(name, e -> {
                if (accept.test(e) && event.compareAndSet(null, e)) {
                    seen.countDown();
                }
            });
            stream.setMaxAge(Duration.ofSeconds(10));
            stream.startAsync();
            // The recording may take a moment to start: wait until the event is really on, or a first one is lost.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!type.isEnabled()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the JFR event " + name + " was never enabled");
                }
                Thread.onSpinWait();
            }
        }

        RecordedEvent await() throws InterruptedException {
            assertThat(seen.await(30, TimeUnit.SECONDS)).as("the event was recorded").isTrue();
            return event.get();
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    @Test
    void aSlowCallbackIsRecordedWithItsLoop() throws Exception {
        try (Watch w = new Watch(LoopEvents.SlowCallback.class, s -> s.withThreshold(Duration.ZERO),
                e -> "jfr-slow".equals(e.getString("loop")));
             EventLoop loop = EventLoop.builder().name("jfr-slow").build()) {
            loop.callSoon(() -> { });
            loop.callSoon(loop::stop);
            loop.runForever();
            RecordedEvent e = w.await();
            assertThat(e.getString("callback")).isNotNull();
        }
    }

    @Test
    void aBlockedLoopIsRecordedWithTheBlockingStackWhileStillBlocked() throws Exception {
        try (Watch w = new Watch(LoopEvents.BlockedLoop.class, s -> { }, e -> "jfr-blocked".equals(e.getString("loop")));
             EventLoop loop = EventLoop.builder().name("jfr-blocked").blockedLoopThreshold(Duration.ofMillis(20)).build()) {
            loop.runUntilComplete(loop.createTask("hog", () -> {
                while (w.seen.getCount() > 0) {
                    Thread.onSpinWait(); // holds the loop (as file I/O would) until the watchdog has spoken
                }
                return null;
            }));
            RecordedEvent e = w.await();
            assertThat(e.getString("task")).isEqualTo("hog");
            assertThat(e.getString("stack")).contains("LoopEventsTest");
            assertThat(e.getDuration("blockedFor")).isGreaterThanOrEqualTo(Duration.ofMillis(20));
        }
    }

    @Test
    void aRefusedBlockingCallIsRecordedWithTheCallAndTheLoop() throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        try (Watch w = new Watch(LoopEvents.RefusedBlockingCall.class, s -> { },
                e -> "jfr-refused".equals(e.getString("loop")))) {
            // On a loop thread of its own, which ends before we look: its JFR buffer is flushed then.
            try (TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("jfr-refused").build())) {
                CountDownLatch done = new CountDownLatch(1);
                bg.loop.callSoonThreadsafe(() -> {
                    try {
                        Async.await(CompletableFuture.completedFuture(1));
                    } catch (Throwable t) {
                        refused.set(t);
                    }
                    done.countDown();
                });
                done.await();
            }
            assertThat(refused.get()).isInstanceOf(BlockingOnLoopException.class);
            RecordedEvent e = w.await();
            assertThat(e.getString("call")).isEqualTo("Async.await");
            assertThat(e.getString("message")).isEqualTo(refused.get().getMessage());
        }
    }

    @Test
    void toThreadIsRecordedWithItsTaskAndPermitWait() throws Exception {
        try (Watch w = new Watch(LoopEvents.ToThread.class, s -> s.withThreshold(Duration.ZERO),
                e -> "jfr-tothread".equals(e.getString("loop")));
             EventLoop loop = EventLoop.builder().name("jfr-tothread").build()) {
            assertThat(loop.runUntilComplete(loop.createTask("worker-user", () -> Threads.toThread(() -> 42))))
                    .isEqualTo(42);
            RecordedEvent e = w.await();
            assertThat(e.getString("task")).isEqualTo("worker-user");
            assertThat(e.getDuration("permitWait").isNegative()).isFalse();
        }
    }

    @Test
    void loopLagIsSampledForEachRunningLoop() throws Exception {
        try (Watch w = new Watch(LoopEvents.LoopLag.class, s -> s.withPeriod(Duration.ofMillis(20)),
                e -> "jfr-lag".equals(e.getString("loop")));
             TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("jfr-lag").build())) {
            RecordedEvent e = w.await();
            assertThat(e.getDuration("lag").isNegative()).isFalse();
        }
    }

    @Test
    void aDisabledWatchdogIsOff() {
        assertThatThrownBy(() -> EventLoop.builder().blockedLoopThreshold(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        try (EventLoop loop = EventLoop.builder().blockedLoopThreshold(null).build()) {
            assertThat(loop.isClosed()).isFalse();
        }
    }
}
