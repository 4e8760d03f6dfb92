package io.loopbridge;

import java.util.Map;
import org.slf4j.MDC;
import org.slf4j.helpers.NOPMDCAdapter;

/**
 * The SLF4J MDC of a thread, captured and installed elsewhere; free when the logging binding
 * has no real MDC (slf4j-simple). Thread-safe (stateless).
 */
final class Mdc {
    private static final boolean ACTIVE = !(MDC.getMDCAdapter() instanceof NOPMDCAdapter);

    private Mdc() {
    }

    /** The calling thread's MDC, or null when empty (or there is none). */
    static Map<String, String> capture() {
        if (!ACTIVE) {
            return null;
        }
        Map<String, String> m = MDC.getCopyOfContextMap();
        return m == null || m.isEmpty() ? null : m;
    }

    /** Makes {@code mdc} (null: empty) the calling thread's MDC. */
    static void install(Map<String, String> mdc) {
        if (!ACTIVE) {
            return;
        }
        if (mdc == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(mdc);
        }
    }
}
