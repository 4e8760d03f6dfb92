package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerShutdownOrderExampleTest {
    @Test
    void rightOrderClosesTheWorkerAfterTheLoopAndTheWrongOrderFailsSafely() throws Exception {
        Narrator n = new Narrator("test", false);
        WorkerShutdownOrderExample.Outcome o = WorkerShutdownOrderExample.run(n);
        List<String> lines = n.lines();

        // right order: the loop finished (other task cancelled and cleaned up) before the worker's shutdown
        assertThat(o.rightOrder()).contains("Houston, we have a problem!");
        assertThat(n.lineWith("do-something-else cancelled")).startsWith("[task do-something-else on loop ");
        assertThat(lines.indexOf(n.lineWith("do-something-else cancelled")))
                .isLessThan(lines.indexOf(n.lineWith("loop ended with")));
        assertThat(lines.indexOf(n.lineWith("loop closed while the worker still works")))
                .isLessThan(lines.indexOf(n.lineWith("right order: worker closed after the loop")));
        assertThat(n.lineWith("right order: worker closed after the loop")).startsWith("[thread " + Thread.currentThread().getName());

        // wrong order inside a task: close() suspended the task; the loop ran the other task meanwhile
        assertThat(o.wrongOrderInTask()).isEqualTo("other task ran before close() returned");
        assertThat(lines.indexOf(n.lineWith("other task runs while the worker shuts down")))
                .isLessThan(lines.indexOf(n.lineWith("worker closed inside a task without blocking the loop")));

        // wrong order from a loop callback: refused at once, and the worker was closed later, off the loop
        assertThat(o.wrongOrderInCallback()).startsWith("refused: ");
        assertThat(n.lineWith("close() in a loop callback refused")).startsWith("[loop ");
        assertThat(n.lineWith("worker closed from the main thread after the loop")).isNotNull();
        assertThat(n.lineWith("processing image C")).startsWith("[thread image-worker]");
    }
}
