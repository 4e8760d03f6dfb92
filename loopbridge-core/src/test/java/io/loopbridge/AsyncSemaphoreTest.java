package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoop;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncSemaphoreTest {

    private static Task<Void> acquirer(AsyncSemaphore sem, List<String> log, String name) {
        return Async.spawn(() -> {
            sem.acquire();
            log.add(name);
            return null;
        });
    }

    @Test
    void permitsAreHandedOutThenWaitersServedInFifoOrder() throws Exception {
        onLoop(() -> {
            AsyncSemaphore sem = new AsyncSemaphore(2);
            List<String> l = new ArrayList<>();
            Task<Void> a = acquirer(sem, l, "a");
            Task<Void> b = acquirer(sem, l, "b");
            Task<Void> c = acquirer(sem, l, "c");
            Task<Void> d = acquirer(sem, l, "d");
            settle();
            assertThat(l).containsExactly("a", "b");
            assertThat(sem.isLocked()).isTrue();
            assertThat(sem.availablePermits()).isZero();
            sem.release();
            settle();
            assertThat(l).containsExactly("a", "b", "c");
            sem.release();
            Async.await(Async.gather(List.of(a, b, c, d)));
            assertThat(l).containsExactly("a", "b", "c", "d");
            return null;
        });
    }

    @Test
    void whileTasksWaitANewcomerWaitsToo() throws Exception {
        onLoop(() -> {
            AsyncSemaphore sem = new AsyncSemaphore(0);
            List<String> l = new ArrayList<>();
            Task<Void> a = acquirer(sem, l, "a");
            settle();
            sem.release(); // promised to a
            assertThat(sem.tryAcquire()).isFalse();
            Async.await(a);
            return null;
        });
    }

    @Test
    void aWaiterCancelledAfterBeingWokenGivesThePermitToTheNext() throws Exception {
        // asyncio test_acquire_cancel_after_release / test_acquire_no_hang
        onLoop(() -> {
            AsyncSemaphore sem = new AsyncSemaphore(0);
            List<String> l = new ArrayList<>();
            Task<Void> a = acquirer(sem, l, "a");
            Task<Void> b = acquirer(sem, l, "b");
            settle();
            sem.release(); // wakes a
            a.cancel("too late");
            Async.await(Async.gatherSettled(List.of(a, b)));
            assertThat(a.isCancelled()).isTrue();
            assertThat(l).containsExactly("b");
            assertThat(sem.availablePermits()).isZero();
            return null;
        });
    }

    @Test
    void cancelledWaitersDoNotKeepTheSemaphoreLocked() throws Exception {
        onLoop(() -> {
            AsyncSemaphore sem = new AsyncSemaphore(0);
            List<String> l = new ArrayList<>();
            Task<Void> a = acquirer(sem, l, "a");
            settle();
            a.cancel("bye");
            Async.await(Async.gatherSettled(List.of(a)));
            sem.release();
            assertThat(sem.isLocked()).isFalse();
            assertThat(sem.tryAcquire()).isTrue();
            return null;
        });
    }

    @Test
    void aBoundedSemaphoreRefusesAnExtraRelease() throws Exception {
        onLoop(() -> {
            AsyncSemaphore sem = AsyncSemaphore.bounded(1);
            try (AsyncLock.Held h = sem.hold()) {
                assertThat(sem.isLocked()).isTrue();
            }
            assertThatThrownBy(sem::release).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("released too many times");
            AsyncSemaphore plain = new AsyncSemaphore(1);
            plain.release();
            assertThat(plain.availablePermits()).isEqualTo(2);
            return null;
        });
    }

    @Test
    void aNegativeCountIsRefused() {
        assertThatThrownBy(() -> new AsyncSemaphore(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
