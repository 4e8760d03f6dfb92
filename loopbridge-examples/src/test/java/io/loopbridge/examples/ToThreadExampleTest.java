package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ToThreadExampleTest {
    @Test
    void blockingCallsRunOnWorkersWhileTheLoopRunsOn() throws Exception {
        Narrator n = new Narrator("test", false);
        ToThreadExample.Outcome o = ToThreadExample.run(n);

        assertThat(o.processed()).containsExactly(
                "processed(image 0)", "processed(image 1)", "processed(image 2)", "processed(image 3)");
        assertThat(o.fileContent()).isEqualTo("hello from a file");
        assertThat(o.loopRanDuringBlockingCall()).isTrue();
        // blocking steps ran on plain worker threads, never in a task or on the loop
        assertThat(n.lines()).filteredOn(l -> l.contains("] blocking ") || l.contains("] reading the file"))
                .hasSize(6)
                .allSatisfy(l -> assertThat(l).startsWith("[thread "));
        assertThat(n.lineWith("other task runs while the blocking call waits")).startsWith("[task other-task on loop ");
    }
}
