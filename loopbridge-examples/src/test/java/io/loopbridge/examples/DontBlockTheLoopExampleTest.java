package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DontBlockTheLoopExampleTest {
    @Test
    void everyWaitOnTheLoopIsRefusedAtOnce() throws Exception {
        Narrator n = new Narrator("test", false);
        Map<String, String> caught = DontBlockTheLoopExample.run(n);

        assertThat(caught).containsOnlyKeys("Async.await in a callback", "BridgeQueue.take in a callback",
                "runCoroutineThreadsafe(...).join() in a callback", "nested Async.run in a task");
        assertThat(caught.get("Async.await in a callback")).startsWith("BlockingOnLoopException: ");
        assertThat(caught.get("BridgeQueue.take in a callback")).startsWith("BlockingOnLoopException: ");
        assertThat(caught.get("runCoroutineThreadsafe(...).join() in a callback")).startsWith("BlockingOnLoopException: ");
        assertThat(caught.get("nested Async.run in a task")).startsWith("IllegalStateException: ");
        assertThat(n.lineWith("Async.await in a callback")).startsWith("[loop ");
        assertThat(n.lineWith("nested Async.run in a task")).startsWith("[task ");
    }
}
