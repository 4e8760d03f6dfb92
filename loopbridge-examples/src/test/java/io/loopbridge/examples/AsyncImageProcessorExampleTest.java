package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncImageProcessorExampleTest {
    @Test
    void eachResultIsHandedBackToTheLoopAndReachesItsTask() throws Exception {
        Narrator n = new Narrator("test", false);
        List<String> results = AsyncImageProcessorExample.run(n);

        assertThat(results).containsExactly( // FIFO worker + FIFO getters: each task gets its own result, in order
               
                "processed(image 0)", "processed(image 1)", "processed(image 2)", "processed(image 3)", "processed(image 4)");
        assertThat(n.lineWith("submitting image 3")).startsWith("[task submit-3 on loop ");
        assertThat(n.lineWith("processing image 3")).startsWith("[thread image-worker]");
        // the worker thread never touches the loop's queue: the hand-off runs on the loop thread
        assertThat(n.lineWith("result processed(image 3) handed to the loop")).startsWith("[loop ");
        assertThat(n.lineWith("as completed: processed(image 4)")).startsWith("[task ");
        assertThat(n.lines().get(n.lines().size() - 1)).contains("worker stops");
    }
}
