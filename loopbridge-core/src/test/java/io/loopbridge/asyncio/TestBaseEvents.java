package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.newLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cases of CPython's Lib/test/test_asyncio/test_base_events.py (BaseEventLoopTests) on
 * loopbridge's public API. Python's mocked selector is the loop's own; {@code run_briefly} is
 * {@code callSoon(stop); runForever()}.
 */
class TestBaseEvents {

    /**
     * The old idiom for running one iteration: stop() before run_forever() runs the callbacks
     * already scheduled, then returns (Python also asserts the selector was polled with 0).
     */
    @Test
    void test_run_forever_pre_stopped() {
        try (EventLoop loop = newLoop()) {
            List<String> ran = new ArrayList<>();
            loop.callSoon(() -> ran.add("a"));
            loop.stop();
            loop.runForever();
            assertThat(ran).containsExactly("a");
            loop.callSoon(() -> ran.add("b")); // and the loop stopped after that one iteration
            loop.stop();
            loop.runForever();
            assertThat(ran).containsExactly("a", "b");
        }
    }

    /** Timers scheduled with negative delays keep their deadline order: -2 s before -1 s. */
    @Test
    void test_call_later_negative_delays() {
        try (EventLoop loop = newLoop()) {
            List<String> calls = new ArrayList<>();
            loop.callLater(Duration.ofSeconds(-1), () -> calls.add("a"));
            loop.callLater(Duration.ofSeconds(-2), () -> calls.add("b"));
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(calls).containsExactly("b", "a");
        }
    }

    /**
     * A runUntilComplete that ended before its future (Python: a callback raised a BaseException;
     * Java: a callback stopped the loop) leaves no stop-callback on that future: when it finishes
     * during a later run, that run is not stopped. Python: "This call fails if
     * run_until_complete does not clean up done-callback for the previous future."
     */
    @Test
    void test_run_until_complete_loop_orphan_future_close_loop() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> first = loop.createTask(() -> {
                Async.sleep(Duration.ofMillis(100));
                return null;
            });
            loop.callSoon(loop::stop);
            assertThatThrownBy(() -> loop.runUntilComplete(first))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped before the future completed");
            LoopFuture<String> second = loop.createTask(() -> {
                Async.sleep(Duration.ofMillis(200)); // first finishes meanwhile
                return "second";
            });
            assertThat(loop.runUntilComplete(second)).isEqualTo("second");
            assertThat(first.isDone()).isTrue();
        }
    }
}
