package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoop;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncQueueTest {

    @Test
    void itemsComeOutInFifoOrder() throws Exception {
        List<Integer> out = onLoop(() -> {
            AsyncQueue<Integer> q = new AsyncQueue<>();
            for (int i = 0; i < 5; i++) {
                q.put(i);
            }
            assertThat(q.size()).isEqualTo(5);
            assertThat(q.maxsize()).isZero();
            assertThat(q.isFull()).isFalse();
            List<Integer> l = new ArrayList<>();
            while (!q.isEmpty()) {
                l.add(q.get());
            }
            return l;
        });
        assertThat(out).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void nowaitCallsFailClearly() throws Exception {
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>(1);
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueEmptyException.class);
            q.putNowait("a");
            assertThat(q.isFull()).isTrue();
            assertThatThrownBy(() -> q.putNowait("b")).isInstanceOf(QueueFullException.class)
                    .hasMessageContaining("maxsize 1");
            assertThat(q.getNowait()).isEqualTo("a");
            assertThatThrownBy(() -> q.putNowait(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
        assertThatThrownBy(() -> new AsyncQueue<>(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unbounded");
    }

    @Test
    void aFullQueueMakesPuttersWaitInOrder() throws Exception {
        List<String> out = onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>(1);
            q.put("a");
            List<String> log = new ArrayList<>();
            Task<Void> pb = Async.spawn(() -> {
                q.put("b");
                log.add("put b");
                return null;
            });
            Task<Void> pc = Async.spawn(() -> {
                q.put("c");
                log.add("put c");
                return null;
            });
            settle();
            assertThat(log).isEmpty();
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                got.add(q.get());
            }
            Async.await(Async.gather(List.of(pb, pc)));
            assertThat(log).containsExactly("put b", "put c");
            return got;
        });
        assertThat(out).containsExactly("a", "b", "c");
    }

    @Test
    void gettersWaitForItemsInOrder() throws Exception {
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>();
            Task<String> g1 = Async.spawn(q::get);
            Task<String> g2 = Async.spawn(q::get);
            settle();
            q.putNowait("x");
            q.putNowait("y");
            assertThat(Async.await(g1)).isEqualTo("x");
            assertThat(Async.await(g2)).isEqualTo("y");
            return null;
        });
    }

    @Test
    void aGetterCancelledAfterBeingWokenLeavesTheItemForTheNext() throws Exception {
        // asyncio test_cancelled_getters_not_being_held_in_self_getters / test_get_cancelled_race
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>();
            Task<String> g1 = Async.spawn(q::get);
            Task<String> g2 = Async.spawn(q::get);
            settle();
            q.putNowait("x"); // wakes g1 ...
            g1.cancel("too late"); // ... which is cancelled before it runs
            assertThat(Async.await(g2)).isEqualTo("x");
            Async.await(Async.gatherSettled(List.of(g1)));
            assertThat(g1.isCancelled()).isTrue();
            assertThat(q.isEmpty()).isTrue();
            return null;
        });
    }

    @Test
    void aPutterCancelledAfterBeingWokenLeavesTheSlotForTheNext() throws Exception {
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>(1);
            q.putNowait("a");
            Task<Void> p1 = Async.spawn(() -> {
                q.put("b");
                return null;
            });
            Task<Void> p2 = Async.spawn(() -> {
                q.put("c");
                return null;
            });
            settle();
            assertThat(q.getNowait()).isEqualTo("a"); // wakes p1 ...
            p1.cancel("too late"); // ... which is cancelled before it runs
            Async.await(p2);
            assertThat(q.getNowait()).isEqualTo("c");
            Async.await(Async.gatherSettled(List.of(p1)));
            assertThat(p1.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void joinWaitsUntilEveryItemIsMarkedDone() throws Exception {
        onLoop(() -> {
            AsyncQueue<Integer> q = new AsyncQueue<>();
            q.join(); // nothing put: returns at once
            int[] sum = {0};
            for (int i = 1; i <= 10; i++) {
                q.putNowait(i);
            }
            List<Task<Void>> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                workers.add(Async.spawn(() -> {
                    while (true) {
                        int v = q.get();
                        Async.checkpoint();
                        sum[0] += v;
                        q.taskDone();
                    }
                }));
            }
            q.join();
            assertThat(sum[0]).isEqualTo(55);
            workers.forEach(t -> t.cancel("done"));
            Async.await(Async.gatherSettled(workers));
            assertThatThrownBy(q::taskDone).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("more times");
            return null;
        });
    }

    @Test
    void shutdownLetsConsumersDrainThenFailsThem() throws Exception {
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>(2);
            q.putNowait("a");
            q.putNowait("b");
            Task<Void> blockedPutter = Async.spawn(() -> {
                q.put("c");
                return null;
            });
            settle();
            q.shutdown();
            assertThat(q.isShutDown()).isTrue();
            assertThatThrownBy(() -> Async.await(blockedPutter)).isInstanceOf(QueueShutDownException.class);
            assertThatThrownBy(() -> q.putNowait("d")).isInstanceOf(QueueShutDownException.class);
            assertThat(q.get()).isEqualTo("a");
            assertThat(q.getNowait()).isEqualTo("b");
            assertThatThrownBy(q::get).isInstanceOf(QueueShutDownException.class).hasMessageContaining("empty");
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueShutDownException.class);
            return null;
        });
    }

    @Test
    void shutdownWakesWaitingGetters() throws Exception {
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>();
            Task<String> g = Async.spawn(q::get);
            settle();
            q.shutdown();
            assertThatThrownBy(() -> Async.await(g)).isInstanceOf(QueueShutDownException.class);
            return null;
        });
    }

    @Test
    void immediateShutdownDiscardsItemsAndReleasesJoin() throws Exception {
        onLoop(() -> {
            AsyncQueue<String> q = new AsyncQueue<>();
            q.putNowait("a");
            q.putNowait("b");
            Task<Void> joiner = Async.spawn(() -> {
                q.join();
                return null;
            });
            settle();
            assertThat(joiner.isDone()).isFalse();
            q.shutdown(true);
            Async.await(joiner);
            assertThat(q.size()).isZero();
            assertThatThrownBy(q::get).isInstanceOf(QueueShutDownException.class);
            return null;
        });
    }

    @Test
    void canBeFilledBeforeTheLoopStartsThenIsConfinedToIt() throws Exception {
        AsyncQueue<String> q = new AsyncQueue<>();
        q.putNowait("before");
        assertThat(onLoop(q::get)).isEqualTo("before");
        assertThatThrownBy(() -> q.putNowait("after")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Thread.currentThread().getName()).hasMessageContaining("not running");
    }
}
