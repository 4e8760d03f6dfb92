package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageProcessorExampleTest {
    @Test
    void theWorkerProcessesEverySubmittedImageInOrderAndStopsOnClose() throws Exception {
        Narrator n = new Narrator("test", false);
        List<String> results = ImageProcessorExample.run(n);

        assertThat(results).containsExactly("processed(image 0)", "processed(image 1)", "processed(image 2)");
        assertThat(n.lineWith("submit image 0")).startsWith("[thread " + Thread.currentThread().getName() + "]");
        assertThat(n.lineWith("processing image 0")).startsWith("[thread image-worker]");
        assertThat(n.lineWith("done callback got processed(image 2)")).startsWith("[thread image-worker]");
        // close() instead of a sentinel: the worker drained the queue before stopping, and close waited for it
        List<String> lines = n.lines();
        assertThat(lines.indexOf(n.lineWith("worker stops"))).isGreaterThan(lines.indexOf(n.lineWith("processing image 2")));
        assertThat(lines.get(lines.size() - 1)).contains("worker closed; results: [processed(image 0)");
    }
}
