package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoop;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncConditionTest {

    private static Task<Void> waiter(AsyncCondition cond, List<String> log, String name) {
        return Async.spawn(() -> {
            try (AsyncLock.Held h = cond.hold()) {
                cond.await();
                assertThat(cond.isLocked()).isTrue();
                log.add(name);
            }
            return null;
        });
    }

    @Test
    void signalWakesWaitersOneByOneInFifoOrder() throws Exception {
        onLoop(() -> {
            AsyncCondition cond = new AsyncCondition();
            List<String> l = new ArrayList<>();
            List<Task<Void>> ts = List.of(waiter(cond, l, "a"), waiter(cond, l, "b"), waiter(cond, l, "c"));
            settle();
            assertThat(cond.isLocked()).isFalse();
            cond.acquire();
            cond.signal();
            settle();
            assertThat(l).as("woken, but the lock is still held").isEmpty();
            cond.release();
            settle();
            assertThat(l).containsExactly("a");
            try (AsyncLock.Held h = cond.hold()) {
                cond.signal(2);
            }
            Async.await(Async.gather(ts));
            assertThat(l).containsExactly("a", "b", "c");
            return null;
        });
    }

    @Test
    void signalAllWakesEveryone() throws Exception {
        onLoop(() -> {
            AsyncCondition cond = new AsyncCondition();
            List<String> l = new ArrayList<>();
            List<Task<Void>> ts = List.of(waiter(cond, l, "a"), waiter(cond, l, "b"));
            settle();
            try (AsyncLock.Held h = cond.hold()) {
                cond.signalAll();
            }
            Async.await(Async.gather(ts));
            assertThat(l).containsExactly("a", "b");
            return null;
        });
    }

    @Test
    void awaitUntilRechecksThePredicate() throws Exception {
        onLoop(() -> {
            AsyncCondition cond = new AsyncCondition();
            int[] value = {0};
            Task<Integer> w = Async.spawn(() -> {
                try (AsyncLock.Held h = cond.hold()) {
                    cond.awaitUntil(() -> value[0] >= 2);
                    return value[0];
                }
            });
            for (int i = 0; i < 2; i++) {
                settle();
                try (AsyncLock.Held h = cond.hold()) {
                    value[0]++;
                    cond.signalAll();
                }
            }
            assertThat(Async.await(w)).isEqualTo(2);
            return null;
        });
    }

    @Test
    void aCancelledWaiterReacquiresTheLockBeforeTheExceptionLeaves() throws Exception {
        onLoop(() -> {
            AsyncCondition cond = new AsyncCondition();
            List<String> l = new ArrayList<>();
            Task<Void> w = Async.spawn(() -> {
                cond.acquire();
                try {
                    cond.await();
                } catch (CancelledException e) {
                    l.add("locked=" + cond.isLocked());
                    throw e;
                } finally {
                    cond.release();
                }
                return null;
            });
            settle();
            cond.acquire(); // w waits for the lock once cancelled
            w.cancel("stop");
            settle();
            assertThat(l).isEmpty();
            cond.release();
            Async.await(Async.gatherSettled(List.of(w)));
            assertThat(w.isCancelled()).isTrue();
            assertThat(l).containsExactly("locked=true");
            assertThat(cond.isLocked()).isFalse();
            return null;
        });
    }

    @Test
    void aSignalToAWaiterCancelledBeforeItRunsIsPassedOn() throws Exception {
        // asyncio test_cancelled_wakeup: a signalled-then-cancelled waiter must not swallow the signal
        onLoop(() -> {
            AsyncCondition cond = new AsyncCondition();
            List<String> l = new ArrayList<>();
            Task<Void> a = waiter(cond, l, "a");
            Task<Void> b = waiter(cond, l, "b");
            settle();
            try (AsyncLock.Held h = cond.hold()) {
                cond.signal();
                a.cancel("too late");
            }
            Async.await(Async.gatherSettled(List.of(a, b)));
            assertThat(a.isCancelled()).isTrue();
            assertThat(l).containsExactly("b");
            return null;
        });
    }

    @Test
    void waitingOrSignallingWithoutTheLockFails() throws Exception {
        onLoop(() -> {
            AsyncCondition cond = new AsyncCondition(new AsyncLock());
            assertThatThrownBy(cond::await).isInstanceOf(IllegalStateException.class).hasMessageContaining("lock");
            assertThatThrownBy(cond::signal).isInstanceOf(IllegalStateException.class).hasMessageContaining("lock");
            return null;
        });
    }
}
