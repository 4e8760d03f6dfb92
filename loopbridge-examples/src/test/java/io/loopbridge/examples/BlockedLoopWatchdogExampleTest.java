package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BlockedLoopWatchdogExampleTest {
    @Test
    void theWatchdogReportsAThreadSleepInACallbackWithItsStack() throws Exception {
        Narrator n = new Narrator("test", false);
        WatchdogReports.Report r = BlockedLoopWatchdogExample.run(n);

        assertThat(r.message()).contains("event loop 'watched'").contains("blocked for").contains("a callback");
        assertThat(r.stackShows("java.lang.Thread", "sleep")).isTrue();
        assertThat(r.stackShows(BlockedLoopWatchdogExample.class.getName(), "sleepUntilReported")).isTrue();
        assertThat(n.lineWith("callback calls Thread.sleep")).startsWith("[loop watched thread ");
    }
}
