package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QueueBridgeExampleTest {
    @Test
    void aSyncProducerThreadFeedsAnAsyncConsumerAndCloseEndsIt() throws Exception {
        Narrator n = new Narrator("test", false);

        assertThat(QueueBridgeExample.run(n)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(n.lineWith("put 9")).startsWith("[thread sync-producer]");
        assertThat(n.lineWith("took 9")).startsWith("[task ");
        assertThat(n.lineWith("closing the queue instead of putting a sentinel")).startsWith("[thread sync-producer]");
        assertThat(n.lines().get(n.lines().size() - 1)).startsWith("[task ").contains("queue closed and drained");
    }
}
