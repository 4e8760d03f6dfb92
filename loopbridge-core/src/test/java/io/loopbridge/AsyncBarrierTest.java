package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoop;
import static io.loopbridge.PrimitiveTesting.onLoopThread;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class AsyncBarrierTest {

    /** Many tasks pass the barrier round after round: every round gives each arrival index once, none overtakes a round. */
    @Test
    void manyTasksPassManyRoundsInLockstep() throws Exception {
        int parties = 50;
        int rounds = 200;
        int[][] indexCount = onLoop(() -> {
            AsyncBarrier barrier = new AsyncBarrier(parties);
            int[][] counts = new int[rounds][parties];
            int[] round = new int[parties];
            List<Task<Void>> tasks = new ArrayList<>();
            for (int p = 0; p < parties; p++) {
                int me = p;
                tasks.add(Async.spawn(() -> {
                    for (int r = 0; r < rounds; r++) {
                        round[me] = r;
                        int i = barrier.await();
                        counts[r][i]++;
                        // Every party has reached round r before anyone passes it.
                        for (int other : round) {
                            assertThat(other).isGreaterThanOrEqualTo(r);
                        }
                        if (r % 7 == 0) {
                            Async.checkpoint(); // stragglers: the next round fills while this one drains
                        }
                    }
                    return null;
                }));
            }
            Async.await(Async.gather(tasks));
            assertThat(barrier.waiting()).isZero();
            assertThat(barrier.toString()).isEqualTo("AsyncBarrier[filling, waiting=0/" + parties + "]");
            return counts;
        });
        for (int[] r : indexCount) {
            for (int c : r) {
                assertThat(c).isEqualTo(1);
            }
        }
    }

    @Test
    void aTimedOutWaiterLeavesAndTheBarrierWaitsForAnother() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            loop.runUntilComplete(() -> {
                AsyncBarrier barrier = new AsyncBarrier(2);
                assertThatThrownBy(() -> {
                    try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                        barrier.await();
                    }
                }).isInstanceOf(TimeoutException.class);
                assertThat(barrier.waiting()).isZero();
                Task<Integer> first = Async.spawn(barrier::await);
                settle();
                assertThat(barrier.waiting()).isEqualTo(1);
                assertThat(barrier.await()).isEqualTo(1);
                assertThat(Async.await(first)).isZero();
                return null;
            });
        }
    }

    @Test
    void abortBreaksWaitersAndLaterArrivalsUntilReset() throws Exception {
        onLoop(() -> {
            AsyncBarrier barrier = new AsyncBarrier(3);
            Task<Integer> waiter = Async.spawn(barrier::await);
            settle();
            barrier.abort();
            assertThat(barrier.isBroken()).isTrue();
            assertThat(barrier.toString()).isEqualTo("AsyncBarrier[broken]");
            assertThatThrownBy(() -> Async.await(waiter)).isInstanceOf(BrokenBarrierException.class);
            assertThatThrownBy(barrier::await).isInstanceOf(BrokenBarrierException.class)
                    .hasMessageContaining("aborted");
            barrier.reset();
            assertThat(barrier.isBroken()).isFalse();
            Task<Integer> a = Async.spawn(barrier::await);
            Task<Integer> b = Async.spawn(barrier::await);
            settle();
            assertThat(barrier.await()).isEqualTo(2);
            assertThat(List.of(Async.await(a), Async.await(b))).containsExactlyInAnyOrder(0, 1);
            return null;
        });
    }

    @Test
    void resetWhileTasksWaitIsResettingUntilTheLastLeaves() throws Exception {
        onLoop(() -> {
            AsyncBarrier barrier = new AsyncBarrier(3);
            Task<Integer> a = Async.spawn(barrier::await);
            Task<Integer> b = Async.spawn(barrier::await);
            settle();
            barrier.reset();
            assertThat(barrier.toString()).startsWith("AsyncBarrier[resetting");
            assertThatThrownBy(() -> Async.await(a)).isInstanceOf(BrokenBarrierException.class)
                    .hasMessageContaining("reset");
            assertThatThrownBy(() -> Async.await(b)).isInstanceOf(BrokenBarrierException.class);
            assertThat(barrier.toString()).startsWith("AsyncBarrier[filling");
            return null;
        });
    }

    @Test
    void partiesBelowOneAreRefused() {
        assertThatThrownBy(() -> new AsyncBarrier(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThat(new AsyncBarrier(4).parties()).isEqualTo(4);
    }

    @Test
    void usedFromAnotherThreadItFailsNamingBothThreads() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("barrierloop").build())) {
            AsyncBarrier barrier = new AsyncBarrier(2);
            assertThat(onLoopThread(bg, barrier::isBroken)).isFalse();
            assertThatThrownBy(barrier::abort).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'" + Thread.currentThread().getName() + "'")
                    .hasMessageContaining("'" + bg.thread.getName() + "'")
                    .hasMessageContaining("barrierloop");
            assertThatThrownBy(barrier::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(bg.thread.getName());
            assertThat(barrier.toString()).contains("filling"); // describing it is allowed anywhere
        }
    }

    @Test
    void awaitingOnTheLoopThreadOutsideATaskIsRefused() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            AsyncBarrier barrier = new AsyncBarrier(1);
            assertThatThrownBy(() -> onLoopThread(bg, barrier::await)).isInstanceOf(BlockingOnLoopException.class);
        }
    }
}
