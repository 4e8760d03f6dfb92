package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** {@link Async#asCompletedStages}: the stages themselves, in the order they finish. */
class CompletionOrderTest {

    private static EventLoop virtualLoop() {
        return EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
    }

    private static <T> T sleepThen(long seconds, T value) throws Exception {
        Async.sleep(Duration.ofSeconds(seconds));
        return value;
    }

    @Test
    void theStagesComeBackThemselvesInTheOrderTheyFinish() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> c = Async.spawn(() -> sleepThen(3, "c"));
                Task<String> a = Async.spawn(() -> sleepThen(1, "a"));
                CompletableFuture<String> b = new CompletableFuture<>();
                EventLoop.current().callLater(Duration.ofSeconds(2), () -> b.complete("b"));
                List<CompletionStage<String>> given = List.of(c, a, b, a); // a twice: once back
                List<Object> out = new ArrayList<>();
                long t0 = EventLoop.current().time();
                for (CompletionStage<String> s : Async.asCompletedStages(given)) {
                    out.add(s);
                    out.add((EventLoop.current().time() - t0) / 1_000_000_000L);
                }
                assertThat(out).containsExactly(a, 1L, b, 2L, c, 3L);
                return null;
            });
        }
    }

    @Test
    void aTimeoutEndsAPendingNextAndASecondLoopResumes() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> fast = Async.spawn(() -> sleepThen(1, "fast"));
                Task<String> slow = Async.spawn(() -> sleepThen(2, "slow"));
                Iterable<Task<String>> order = Async.asCompletedStages(List.of(slow, fast));
                List<Task<String>> seen = new ArrayList<>();
                assertThatThrownBy(() -> {
                    try (Timeout t = Async.timeout(Duration.ofMillis(1500))) {
                        for (Task<String> s : order) {
                            seen.add(s);
                        }
                    }
                }).isInstanceOf(TimeoutException.class);
                assertThat(seen).containsExactly(fast);
                assertThat(order.iterator().hasNext()).isTrue(); // the interrupted next() handed out nothing
                for (Task<String> s : order) {
                    seen.add(s);
                }
                assertThat(seen).containsExactly(fast, slow);
                assertThatThrownBy(order.iterator()::next).isInstanceOf(NoSuchElementException.class);
                return null;
            });
        }
    }

    @Test
    void aCancelledWaiterHandsOutNothingAndTheStageStaysForTheNextCall() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> work = Async.spawn(() -> sleepThen(5, "done"));
                Iterator<Task<String>> it = Async.asCompletedStages(List.of(work)).iterator();
                Task<Task<String>> waiter = Async.spawn(it::next);
                Async.checkpoint();
                waiter.cancel("enough");
                assertThatThrownBy(() -> Async.await(waiter)).isInstanceOf(CancelledException.class);
                assertThat((Object) it.next()).isSameAs(work);
                return null;
            });
        }
    }

    /** A failed stage comes back unread: its failure is the caller's to read, and reported if nobody does. */
    @Test
    void aFailedStageIsHandedBackUnread() throws Exception {
        List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
        IOException boom = new IOException("boom");
        try (EventLoop loop = virtualLoop()) {
            loop.setExceptionHandler((l, c) -> reported.add(c));
            loop.runUntilComplete(() -> {
                Task<String> read = Async.spawn(() -> {
                    throw boom;
                });
                Task<String> unread = Async.spawn(() -> {
                    throw new IllegalStateException("never read");
                });
                List<Task<String>> out = new ArrayList<>();
                for (Task<String> t : Async.asCompletedStages(List.of(read, unread))) {
                    out.add(t);
                }
                assertThat(out).containsExactlyInAnyOrder(read, unread);
                assertThatThrownBy(() -> Async.await(read)).isSameAs(boom);
                return null;
            });
        }
        assertThat(reported).hasSize(1);
        assertThat(reported.get(0).exception()).hasMessage("never read");
    }

    @Test
    void stagesFinishedByManyThreadsComeBackExactlyOnce() throws Exception {
        int threads = 8;
        int perThread = 500;
        List<CompletableFuture<Integer>> stages = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            stages.add(new CompletableFuture<>());
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> completers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t * perThread;
            completers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = first; i < first + perThread; i++) {
                    stages.get(i).complete(i);
                }
            }));
        }
        Set<CompletableFuture<Integer>> back = Collections.newSetFromMap(new IdentityHashMap<>());
        int count;
        try (EventLoop loop = EventLoop.create()) {
            count = loop.runUntilComplete(() -> {
                int n = 0;
                Iterable<CompletableFuture<Integer>> order = Async.asCompletedStages(stages);
                go.countDown();
                for (CompletableFuture<Integer> s : order) {
                    assertThat(s.isDone()).isTrue();
                    back.add(s);
                    n++;
                }
                return n;
            });
        }
        for (Thread t : completers) {
            t.join();
        }
        assertThat(count).isEqualTo(threads * perThread);
        assertThat(back).hasSize(threads * perThread);
    }

    @Test
    void nextOutsideATaskOfTheLoopIsRefused() throws Exception {
        Iterable<Task<String>> order;
        try (EventLoop loop = virtualLoop()) {
            order = loop.runUntilComplete(() -> Async.asCompletedStages(List.of(Async.spawn(() -> sleepThen(1, "x")))));
            Iterable<Task<String>> o = order;
            assertThatThrownBy(() -> o.iterator().next()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not a task of event loop");
            try (EventLoop other = virtualLoop()) {
                assertThatThrownBy(() -> other.runUntilComplete(() -> o.iterator().next()))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not a task of event loop '" + loop.name() + "'");
            }
            assertThat(loop.runUntilComplete(() -> o.iterator().next().result())).isEqualTo("x");
        }
        assertThatThrownBy(() -> Async.asCompletedStages(List.of(new CompletableFuture<>())))
                .isInstanceOf(IllegalStateException.class);
    }
}
