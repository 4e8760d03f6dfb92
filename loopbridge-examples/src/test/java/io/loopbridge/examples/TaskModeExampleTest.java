package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.EventLoop;
import io.loopbridge.TaskMode;
import org.junit.jupiter.api.Test;

/** The examples run twice (see the pom): make sure each run really is in the mode it claims. */
class TaskModeExampleTest {
    @Test
    void theExamplesRunInTheExpectedTaskMode() {
        String expected = System.getProperty("loopbridge.expectedTaskMode");
        try (EventLoop loop = EventLoop.create()) {
            if (expected != null) {
                assertThat(loop.taskMode()).isEqualTo(TaskMode.valueOf(expected));
            }
        }
    }
}
