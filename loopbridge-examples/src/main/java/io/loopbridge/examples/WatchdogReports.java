package io.loopbridge.examples;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Collects the blocked-loop watchdog's reports as they are logged, the way a program would
 * feed them to its monitoring: a Logback appender on the watchdog's logger
 * ({@code io.loopbridge.BlockedLoopWatchdog}). Close it to detach.
 */
public final class WatchdogReports implements AutoCloseable {
    /** One report: the message and the blocked thread's stack as it was when reported. */
    public record Report(String message, List<String> stack) {
        /** Whether the blocked stack shows a call of {@code className.methodPrefix*}. */
        public boolean stackShows(String className, String methodPrefix) {
            return stack.stream().anyMatch(f -> f.contains(className + "." + methodPrefix));
        }
    }

    private static final String WATCHDOG_LOGGER = "io.loopbridge.BlockedLoopWatchdog";
    private final List<Report> reports = new CopyOnWriteArrayList<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(WATCHDOG_LOGGER);
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent e) {
            if (!e.getLevel().isGreaterOrEqual(Level.WARN)) {
                return;
            }
            List<String> stack = new ArrayList<>();
            IThrowableProxy t = e.getThrowableProxy();
            if (t != null) {
                for (StackTraceElementProxy f : t.getStackTraceElementProxyArray()) {
                    stack.add(f.getStackTraceElement().toString());
                }
            }
            reports.add(new Report(e.getFormattedMessage(), List.copyOf(stack)));
        }
    };

    public WatchdogReports() {
        appender.setName("example-watchdog-reports");
        appender.start();
        logger.addAppender(appender);
    }

    public boolean any() {
        return !reports.isEmpty();
    }

    /** The first report, or null. */
    public Report first() {
        return reports.isEmpty() ? null : reports.get(0);
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
