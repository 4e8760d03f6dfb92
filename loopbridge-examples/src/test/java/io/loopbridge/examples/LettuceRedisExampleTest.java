package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LettuceRedisExampleTest {
    @Test
    void tasksAndAPlainThreadUseLettuceAndItsOwnThreadIsRefusedAtOnce() throws Exception {
        Narrator n = new Narrator("test", false);
        LettuceRedisExample.Outcome o;
        try (RedisServer redis = RedisServer.start()) {
            o = LettuceRedisExample.run(n, redis.uri(), 1_000);
        }

        assertThat(o.tasksChecked()).isEqualTo(1_000);
        assertThat(n.lineWith("tasks read back what they wrote")).startsWith("[task ");

        assertThat(o.facadeSet()).isEqualTo("OK");
        assertThat(o.facadeGet()).isEqualTo("from a plain thread");
        assertThat(o.facadeMissing()).isNull();
        assertThat(n.lineWith("SyncFacade over Lettuce")).startsWith("[thread " + Thread.currentThread().getName() + "]");

        // Lettuce's I/O thread is a Netty event loop: recognised with no provider added.
        assertThat(o.lettuceThread()).contains("lettuce-nioEventLoop");
        assertThat(o.refusal()).startsWith("SyncFacade call get called on a Netty event-loop thread '" + o.lettuceThread() + "'")
                .contains("Compose with the returned future");
        assertThat(o.composedOnLettuceThread()).isEqualTo("from a plain thread");
        assertThat(o.servedAfterRefusal()).isEqualTo("from a plain thread");
    }
}
