package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class BlockedLoopWatchdogTest {

    /** Captures the watchdog's report and releases the blocked code once it is logged. */
    private static final class Capture extends AppenderBase<ILoggingEvent> {
        final AtomicReference<ILoggingEvent> event = new AtomicReference<>();
        final CountDownLatch reported = new CountDownLatch(1);

        @Override
        protected void append(ILoggingEvent e) {
            if (event.compareAndSet(null, e)) {
                reported.countDown();
            }
        }
    }

    private static Capture capture() {
        Capture c = new Capture();
        c.start();
        ((Logger) LoggerFactory.getLogger(BlockedLoopWatchdog.class)).addAppender(c);
        return c;
    }

    private static void release(Capture c) {
        ((Logger) LoggerFactory.getLogger(BlockedLoopWatchdog.class)).detachAppender(c);
    }

    @Test
    void aCallbackThatBlocksTheLoopIsReportedWithItsStackWhileStillBlocked() throws Exception {
        Capture c = capture();
        try (EventLoop loop = EventLoop.builder().blockedLoopThreshold(Duration.ofMillis(20)).build()) {
            loop.callSoon(() -> {
                try {
                    c.reported.await(); // blocks the loop until the watchdog has spoken
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                loop.stop();
            });
            loop.runForever();
        } finally {
            release(c);
        }
        ILoggingEvent e = c.event.get();
        assertThat(e.getFormattedMessage()).contains("blocked for").contains("a callback");
        assertThat(e.getThrowableProxy().getStackTraceElementProxyArray())
                .anySatisfy(f -> assertThat(f.getSTEAsString()).contains("BlockedLoopWatchdogTest"));
    }

    @Test
    void aTaskThatBlocksTheLoopIsReportedWithTheTasksStack() throws Exception {
        Capture c = capture();
        try (EventLoop loop = EventLoop.builder().blockedLoopThreshold(Duration.ofMillis(20)).build()) {
            loop.runUntilComplete(loop.createTask("hog", () -> {
                holdTheLoop(c.reported);
                return null;
            }));
        } finally {
            release(c);
        }
        ILoggingEvent e = c.event.get();
        assertThat(e.getFormattedMessage()).contains("hog");
        assertThat(e.getThrowableProxy().getStackTraceElementProxyArray())
                .anySatisfy(f -> assertThat(f.getSTEAsString()).contains("holdTheLoop"));
    }

    @Test
    void aLoopBuiltAndClosedPerCallIsWatchedFromItsFirstTurn() throws Exception {
        Capture c = capture();
        try (Runner runner = new Runner(EventLoop.builder().blockedLoopThreshold(Duration.ofMillis(20)))) {
            runner.run(() -> {
                holdTheLoop(c.reported);
                return null;
            });
        } finally {
            release(c);
        }
        assertThat(c.event.get().getThrowableProxy().getStackTraceElementProxyArray())
                .anySatisfy(f -> assertThat(f.getSTEAsString()).contains("holdTheLoop"));
    }

    @Test
    void aLoopIsWatchedInWhicheverThreadTakesItsTurn() throws Exception {
        Capture c = capture();
        try (EventLoop loop = EventLoop.builder().blockedLoopThreshold(Duration.ofMillis(20)).build()) {
            loop.runUntilComplete(loop.createTask(() -> "a first turn, on this thread"));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = Thread.ofPlatform().name("second-turn").start(() -> {
                try {
                    loop.runUntilComplete(loop.createTask("hog", () -> {
                        holdTheLoop(c.reported);
                        return null;
                    }));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            other.join();
            assertThat(failure.get()).isNull();
        } finally {
            release(c);
        }
        assertThat(c.event.get().getFormattedMessage()).contains("hog");
    }

    /** Spins (pinning the carrier, as file I/O or native code would) until the watchdog reports. */
    private static void holdTheLoop(CountDownLatch reported) {
        while (reported.getCount() > 0) {
            Thread.onSpinWait();
        }
    }
}
