package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoop;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncEventTest {

    @Test
    void setWakesEveryWaiterInOrder() throws Exception {
        List<String> log = onLoop(() -> {
            AsyncEvent ev = new AsyncEvent();
            List<String> l = new ArrayList<>();
            List<Task<Void>> ts = new ArrayList<>();
            for (String n : List.of("a", "b", "c")) {
                ts.add(Async.spawn(() -> {
                    ev.await();
                    l.add(n);
                    return null;
                }));
            }
            settle();
            assertThat(l).isEmpty();
            ev.set();
            ev.clear(); // woken waiters return even though the event was cleared before they ran
            Async.await(Async.gather(ts));
            return l;
        });
        assertThat(log).containsExactly("a", "b", "c");
    }

    @Test
    void awaitReturnsAtOnceWhileSetAndWaitsAgainAfterClear() throws Exception {
        onLoop(() -> {
            AsyncEvent ev = new AsyncEvent();
            assertThat(ev.isSet()).isFalse();
            ev.set();
            ev.set();
            assertThat(ev.isSet()).isTrue();
            ev.await();
            ev.clear();
            Task<Void> w = Async.spawn(() -> {
                ev.await();
                return null;
            });
            settle();
            assertThat(w.isDone()).isFalse();
            ev.set();
            Async.await(w);
            return null;
        });
    }

    @Test
    void aCancelledWaiterLeavesTheEvent() throws Exception {
        onLoop(() -> {
            AsyncEvent ev = new AsyncEvent();
            Task<Void> w = Async.spawn(() -> {
                ev.await();
                return null;
            });
            settle();
            w.cancel("bye");
            Async.await(Async.gatherSettled(List.of(w)));
            assertThat(w.isCancelled()).isTrue();
            assertThat(ev.toString()).doesNotContain("waiters");
            return null;
        });
    }

    @Test
    void aTimeoutEndsTheWait() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            AsyncEvent ev = new AsyncEvent();
            assertThatThrownBy(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(java.time.Duration.ofSeconds(5))) {
                    ev.await();
                }
                return null;
            })).isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(ev.toString()).doesNotContain("waiters");
        }
    }

    @Test
    void canBeSetBeforeAnyLoopRuns() throws Exception {
        AsyncEvent ev = new AsyncEvent();
        ev.set();
        onLoop(() -> {
            ev.await();
            return null;
        });
    }
}
