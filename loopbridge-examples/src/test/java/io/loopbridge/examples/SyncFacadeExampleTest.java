package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SyncFacadeExampleTest {
    @Test
    void oneFacadeWorksFromAPlainThreadAndFromATaskWithUnwrappedExceptions() throws Exception {
        Narrator n = new Narrator("test", false);
        SyncFacadeExample.Outcome o = SyncFacadeExample.run(n);

        assertThat(o.fromPlainThread()).isEqualTo("user-1");
        assertThat(o.fromTask()).isEqualTo("user-2");
        assertThat(o.otherTaskDuringCall()).isEqualTo("other task ran");
        assertThat(o.failure()).isEqualTo("IOException: no user -1");
        assertThat(n.lineWith("plain thread got user-1")).startsWith("[thread " + Thread.currentThread().getName() + "]");
        assertThat(n.lineWith("task got user-2")).startsWith("[task ");
        assertThat(n.lineWith("async client looks up user 2")).startsWith("[thread users-io]");
    }
}
