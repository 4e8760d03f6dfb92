package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A loop that falls back to PORTABLE because the JVM lacks the flag says so once per JVM, at
 * INFO, with the flag that gives FAST; a loop that asked for its mode, or got FAST, says
 * nothing. Runs in both surefire passes: the portable pass has no flag, the fast pass has it.
 */
class TaskModeFallbackLogTest {

    private final Logger logger = (Logger) org.slf4j.LoggerFactory.getLogger(EventLoop.class);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private boolean reportedBefore;

    @BeforeEach
    void capture() {
        reportedBefore = TaskMode.FALLBACK_REPORTED.getAndSet(false);
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
        TaskMode.FALLBACK_REPORTED.compareAndSet(false, reportedBefore);
    }

    private List<ILoggingEvent> fallbackReports() {
        return log.list.stream().filter(e -> e.getFormattedMessage().contains("TaskMode.PORTABLE")).toList();
    }

    @Test
    void aDefaultLoopReportsTheFallbackOnceWithTheFlag() {
        try (EventLoop a = EventLoop.create(); EventLoop b = EventLoop.create()) {
            if (TaskMode.best() == TaskMode.FAST) {
                assertThat(a.taskMode()).isEqualTo(TaskMode.FAST);
                assertThat(fallbackReports()).as("FAST needs no report").isEmpty();
                return;
            }
            assertThat(a.taskMode()).isEqualTo(TaskMode.PORTABLE);
            assertThat(b.taskMode()).isEqualTo(TaskMode.PORTABLE);
            List<ILoggingEvent> reports = fallbackReports();
            assertThat(reports).as("one report per JVM, however many loops").hasSize(1);
            assertThat(reports.get(0).getLevel()).isEqualTo(Level.INFO);
            assertThat(reports.get(0).getFormattedMessage())
                    .contains("--add-opens java.base/java.lang=ALL-UNNAMED")
                    .contains("Add-Opens: java.base/java.lang");
        }
    }

    @Test
    void aLoopThatAskedForPortableSaysNothing() {
        try (EventLoop loop = EventLoop.builder().taskMode(TaskMode.PORTABLE).build()) {
            assertThat(loop.taskMode()).isEqualTo(TaskMode.PORTABLE);
            assertThat(fallbackReports()).isEmpty();
        }
    }
}
