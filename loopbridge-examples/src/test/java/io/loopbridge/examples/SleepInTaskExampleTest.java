package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.TaskMode;
import org.junit.jupiter.api.Test;

class SleepInTaskExampleTest {
    @Test
    void threadSleepInATaskParksOnlyTheTaskInFastModeAndIsReportedInPortableMode() throws Exception {
        Narrator n = new Narrator("test", false);
        SleepInTaskExample.Outcome o = SleepInTaskExample.run(n);

        if (o.mode() == TaskMode.FAST) {
            assertThat(o.otherRanDuringSleep()).isTrue();
            assertThat(o.watchdogReport()).isNull();
            assertThat(n.lineWith("parked only this task")).startsWith("[task ");
        } else {
            assertThat(o.otherRanDuringSleep()).isFalse();
            assertThat(o.watchdogReport()).contains("sleepy").contains("blocked for");
            assertThat(n.lineWith("held the loop")).startsWith("[task ");
        }
        assertThat(o.otherRanDuringAsyncSleep()).isTrue();
        assertThat(n.lineWith("other task runs during Async.sleep")).startsWith("[task other-task-2 on loop sleepy]");
    }
}
