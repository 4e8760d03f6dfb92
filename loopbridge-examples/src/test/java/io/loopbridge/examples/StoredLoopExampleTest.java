package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoredLoopExampleTest {
    @Test
    void aSyncEndpointOnAWorkerUsesTheStoredLoop() throws Exception {
        Narrator n = new Narrator("test", false);

        assertThat(StoredLoopExample.run(n)).isEqualTo("slept 20 ms");
        assertThat(n.lineWith("running loop here? false")).startsWith("[thread ");
        assertThat(n.lineWith("falling back to the stored loop")).contains("(running: true)");
        assertThat(n.lineWith("scheduled on the stored loop")).startsWith("[task ");
        assertThat(n.lineWith("blocking operation")).startsWith("[thread ");
        assertThat(n.lineWith("endpoint returned")).startsWith("[task ");
    }
}
