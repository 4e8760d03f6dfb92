package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoop;
import static io.loopbridge.PrimitiveTesting.onLoopThread;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncLockTest {

    private static Task<Void> locker(AsyncLock lock, List<String> log, String name) {
        return Async.spawn(() -> {
            lock.acquire();
            try {
                log.add(name);
                Async.checkpoint();
            } finally {
                lock.release();
            }
            return null;
        });
    }

    @Test
    void waitersAcquireInFifoOrder() throws Exception {
        List<String> log = onLoop(() -> {
            AsyncLock lock = new AsyncLock();
            List<String> l = new ArrayList<>();
            lock.acquire();
            List<Task<Void>> ts = List.of(locker(lock, l, "a"), locker(lock, l, "b"), locker(lock, l, "c"));
            settle();
            assertThat(l).isEmpty();
            lock.release();
            Async.await(Async.gather(ts));
            assertThat(lock.isLocked()).isFalse();
            return l;
        });
        assertThat(log).containsExactly("a", "b", "c");
    }

    @Test
    void aCancelledWaiterIsSkipped() throws Exception {
        List<String> log = onLoop(() -> {
            AsyncLock lock = new AsyncLock();
            List<String> l = new ArrayList<>();
            lock.acquire();
            Task<Void> a = locker(lock, l, "a");
            Task<Void> b = locker(lock, l, "b");
            Task<Void> c = locker(lock, l, "c");
            settle();
            b.cancel("not needed");
            settle();
            lock.release();
            Async.await(Async.gatherSettled(List.of(a, b, c)));
            assertThat(b.isCancelled()).isTrue();
            return l;
        });
        assertThat(log).containsExactly("a", "c");
    }

    @Test
    void aWaiterCancelledAfterBeingWokenHandsTheLockToTheNext() throws Exception {
        // asyncio test_finished_waiter_cancelled / test_cancel_release_race
        List<String> log = onLoop(() -> {
            AsyncLock lock = new AsyncLock();
            List<String> l = new ArrayList<>();
            lock.acquire();
            Task<Void> a = locker(lock, l, "a");
            Task<Void> b = locker(lock, l, "b");
            settle();
            lock.release(); // wakes a ...
            a.cancel("too late"); // ... which is cancelled before it runs
            Async.await(Async.gatherSettled(List.of(a, b)));
            assertThat(a.isCancelled()).isTrue();
            assertThat(lock.isLocked()).isFalse();
            return l;
        });
        assertThat(log).containsExactly("b");
    }

    @Test
    void aNewcomerDoesNotOvertakeAWokenWaiter() throws Exception {
        onLoop(() -> {
            AsyncLock lock = new AsyncLock();
            List<String> l = new ArrayList<>();
            lock.acquire();
            Task<Void> a = locker(lock, l, "a");
            settle();
            lock.release();
            assertThat(lock.tryAcquire()).as("a was woken first").isFalse();
            Async.await(a);
            assertThat(lock.tryAcquire()).isTrue();
            lock.release();
            return null;
        });
    }

    @Test
    void holdReleasesWhenClosed() throws Exception {
        onLoop(() -> {
            AsyncLock lock = new AsyncLock();
            try (AsyncLock.Held held = lock.hold()) {
                assertThat(lock.isLocked()).isTrue();
            }
            assertThat(lock.isLocked()).isFalse();
            return null;
        });
    }

    @Test
    void releasingAnUnlockedLockFails() throws Exception {
        onLoop(() -> {
            assertThatThrownBy(() -> new AsyncLock().release()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not acquired");
            return null;
        });
    }

    @Test
    void usedFromAnotherThreadItFailsNamingBothThreads() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("lockloop").build())) {
            AsyncLock lock = new AsyncLock();
            assertThat(onLoopThread(bg, lock::tryAcquire)).isTrue();
            assertThatThrownBy(lock::release).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'" + Thread.currentThread().getName() + "'")
                    .hasMessageContaining("'" + bg.thread.getName() + "'")
                    .hasMessageContaining("lockloop");
            assertThatThrownBy(lock::acquire).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(bg.thread.getName());
            onLoopThread(bg, () -> {
                lock.release();
                return null;
            });
        }
    }

    @Test
    void aSecondLoopIsRefused() throws Exception {
        AsyncLock lock = new AsyncLock();
        onLoop(lock::tryAcquire);
        assertThatThrownBy(() -> onLoop(lock::tryAcquire)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bound to event loop");
    }

    @Test
    void acquiringOnTheLoopThreadOutsideATaskIsRefused() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            AsyncLock lock = new AsyncLock();
            assertThatThrownBy(() -> onLoopThread(bg, () -> {
                lock.acquire();
                return null;
            })).isInstanceOf(BlockingOnLoopException.class);
        }
    }

    @Test
    void waitingFromAPlainThreadIsRefusedClearly() {
        assertThatThrownBy(() -> new AsyncLock().acquire()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("runs no event loop");
    }
}
