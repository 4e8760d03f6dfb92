package io.loopbridge.asyncio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.Async;
import io.loopbridge.AsyncEvent;
import io.loopbridge.CapacityLimiter;
import io.loopbridge.ContextVar;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import io.loopbridge.Threads;
import io.loopbridge.Threads.CancelPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * anyio's tests/test_to_thread.py (blocking work run from async code), case by case, as
 * loopbridge's bridges: {@code to_thread.run_sync(f, limiter=l)} is
 * {@link Threads#toThread(Callable, CapacityLimiter)}, {@code abandon_on_cancel=True} is
 * {@link CancelPolicy#ABANDON}, {@code from_thread.run_sync(f)} in a worker is
 * {@code loop.callSoonThreadsafe} plus a future ({@link #fromThreadRunSync}), an anyio
 * {@code Event} is an {@link AsyncEvent}, a {@code threading.Event} a {@link CountDownLatch},
 * {@code create_task_group()} a {@link TaskGroup}, and {@code tg.cancel_scope.cancel()}
 * cancels the task concerned (loopbridge has no cancel scopes). {@code wait_all_tasks_blocked()}
 * is a future the worker completes once it is blocked. Each anyio test runs on a loop of its
 * own on the system clock (no timers involved); {@code time.sleep(d)} in a worker is a latch
 * the test releases, with a generous timeout only as a fail-safe.
 *
 * <p>Left out, no Java meaning:
 * <ul>
 *   <li>test_deprecated_cancellable_param: a deprecated Python keyword argument.</li>
 *   <li>test_asyncio_future_callback_partial: anyio's root-task lookup inspecting
 *       {@code functools.partial} done-callbacks (anyio internals).</li>
 *   <li>test_stopiteration: StopIteration turning into RuntimeError is coroutine machinery.</li>
 *   <li>TestBlockingPortalProvider (test_single_thread, test_single_thread_overlapping,
 *       test_multiple_threads): the lazily started, reference-counted shared portal is an
 *       anyio-only feature; an EventThread is started and closed by its owner.</li>
 *   <li>test_run_sync_worker_cyclic_references, test_asyncio_run_does_not_leak_event_loop:
 *       {@code gc.get_referrers} / weakref-after-{@code gc.collect()} checks (gc specifics;
 *       {@code System.gc()} is only a hint).</li>
 * </ul>
 */
class TestAnyioToThread {

    private static final long FAIL_SAFE_SECONDS = 10;

    /**
     * A task whose cancellation is pending when it calls to_thread does not start the work:
     * the call raises the cancellation first (state stays 1). anyio's
     * {@code tg.cancel_scope.cancel()} reaches the worker task at its first checkpoint, which
     * is inside run_sync; a loopbridge task cancelled before its first step never runs its body,
     * so the worker requests its own cancellation just before the call. Whether the work ran is
     * known without waiting: the work holds the only permit of its limiter until it ends.
     */
    @Test
    void test_run_in_thread_cancelled() throws Exception {
        AtomicInteger state = new AtomicInteger();
        CapacityLimiter onlyOne = new CapacityLimiter(1);
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                try (TaskGroup tg = TaskGroup.open()) {
                    tg.spawn(() -> {
                        state.set(1);
                        Async.currentTask().orElseThrow().cancel();
                        Threads.toThread(() -> {
                            state.set(2);
                            return null;
                        }, onlyOne);
                        state.set(3);
                        return null;
                    });
                }
                Threads.toThread(() -> null, onlyOne); // any earlier work under the limiter has ended
                return null;
            });
        }
        assertThat(state).hasValue(1);
    }

    /** The work's exception (ValueError("foo")) comes out of to_thread unchanged. */
    @Test
    void test_run_in_thread_exception() throws Exception {
        IllegalArgumentException foo = new IllegalArgumentException("foo");
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            Throwable thrown = loop.runUntilComplete(() -> catchThrowable(() -> Threads.toThread(() -> {
                throw foo;
            })));
            assertThat(thrown).isSameAs(foo).hasMessage("foo");
        }
    }

    /**
     * A custom limiter of 3 lets at most 3 of 4 calls run at once: once 3 workers are active
     * (they tell the loop through from_thread.run_sync), 3 tokens are borrowed; after releasing
     * them all 4 have run, never more than 3 together.
     */
    @Test
    void test_run_in_custom_limiter() throws Exception {
        CountDownLatch event = new CountDownLatch(1);
        AsyncEvent threadsStarted = new AsyncEvent();
        CapacityLimiter limiter = new CapacityLimiter(3);
        Set<Thread> activeThreads = new HashSet<>();
        AtomicInteger maxActiveThreads = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                EventLoop running = EventLoop.current();
                Callable<Void> threadWorker = () -> {
                    boolean allStarted;
                    synchronized (activeThreads) {
                        activeThreads.add(Thread.currentThread());
                        maxActiveThreads.accumulateAndGet(activeThreads.size(), Math::max);
                        allStarted = activeThreads.size() == 3;
                    }
                    if (allStarted) {
                        fromThreadRunSync(running, () -> {
                            threadsStarted.set();
                            return null;
                        });
                    }
                    assertThat(event.await(FAIL_SAFE_SECONDS, TimeUnit.SECONDS)).isTrue();
                    synchronized (activeThreads) {
                        activeThreads.remove(Thread.currentThread());
                    }
                    ran.incrementAndGet();
                    return null;
                };
                try (TaskGroup tg = TaskGroup.open()) {
                    for (int i = 0; i < 4; i++) {
                        tg.spawn(() -> Threads.toThread(threadWorker, limiter));
                    }
                    threadsStarted.await();
                    synchronized (activeThreads) {
                        assertThat(activeThreads).hasSize(3);
                    }
                    assertThat(limiter.borrowed()).isEqualTo(3);
                    event.countDown();
                }
                return null;
            });
        }
        synchronized (activeThreads) {
            assertThat(activeThreads).isEmpty();
        }
        assertThat(maxActiveThreads).hasValue(3);
        assertThat(ran).hasValue(4);
    }

    /**
     * abandon_on_cancel=False: a task cancelled while its worker runs is cancelled only once the
     * worker has finished, so the task's finally runs last. The worker keeps working after the
     * cancel request until the loop has had a turn (a from_thread round trip), long enough for
     * an abandoning policy to have run the task's finally first.
     */
    @Test
    void test_cancel_worker_thread_noabandon() throws Exception {
        AtomicReference<String> lastActive = new AtomicReference<>();
        AsyncEvent sleepEvent = new AsyncEvent();
        AsyncEvent finishEvent = new AsyncEvent();
        CountDownLatch cancelRequested = new CountDownLatch(1);
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                EventLoop running = EventLoop.current();
                Callable<Void> threadWorker = () -> {
                    fromThreadRunSync(running, () -> {
                        sleepEvent.set();
                        return null;
                    });
                    assertThat(cancelRequested.await(FAIL_SAFE_SECONDS, TimeUnit.SECONDS)).isTrue();
                    fromThreadRunSync(running, () -> null); // time.sleep(0.2): the loop gets its turns meanwhile
                    lastActive.set("thread");
                    fromThreadRunSync(running, () -> {
                        finishEvent.set();
                        return null;
                    });
                    return null;
                };
                try (TaskGroup tg = TaskGroup.open()) {
                    Task<Void> worker = tg.spawn(() -> {
                        try {
                            Threads.toThread(threadWorker, null, CancelPolicy.WAIT);
                        } finally {
                            lastActive.set("task");
                        }
                        return null;
                    });
                    sleepEvent.await();
                    worker.cancel();
                    cancelRequested.countDown();
                }
                finishEvent.await();
                return null;
            });
        }
        assertThat(lastActive).hasValue("task");
    }

    /**
     * abandon_on_cancel=True ({@link CancelPolicy#ABANDON}): the task is cancelled at once and
     * its finally runs while the worker still works; the worker finishes last. The worker's
     * {@code time.sleep(0.2)} is a wait for the task's finally (fail-safe bounded), so a policy
     * that waited for the worker would end with "task" instead.
     */
    @Test
    void test_cancel_worker_thread_abandon() throws Exception {
        AtomicReference<String> lastActive = new AtomicReference<>();
        AsyncEvent sleepEvent = new AsyncEvent();
        AsyncEvent finishEvent = new AsyncEvent();
        CountDownLatch taskFinallyRan = new CountDownLatch(1);
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                EventLoop running = EventLoop.current();
                Callable<Void> threadWorker = () -> {
                    fromThreadRunSync(running, () -> {
                        sleepEvent.set();
                        return null;
                    });
                    taskFinallyRan.await(FAIL_SAFE_SECONDS, TimeUnit.SECONDS);
                    lastActive.set("thread");
                    fromThreadRunSync(running, () -> {
                        finishEvent.set();
                        return null;
                    });
                    return null;
                };
                try (TaskGroup tg = TaskGroup.open()) {
                    Task<Void> worker = tg.spawn(() -> {
                        try {
                            Threads.toThread(threadWorker, null, CancelPolicy.ABANDON);
                        } finally {
                            lastActive.set("task");
                            taskFinallyRan.countDown();
                        }
                        return null;
                    });
                    sleepEvent.await();
                    worker.cancel();
                }
                finishEvent.await();
                return null;
            });
        }
        assertThat(lastActive).hasValue("thread");
    }

    /**
     * A worker abandoned by its cancelled task keeps running: an event set afterwards (from
     * another to_thread call) still reaches it, and its wait returns true.
     */
    @Test
    void test_cancel_wait_on_thread() throws Exception {
        CountDownLatch event = new CountDownLatch(1);
        CompletableFuture<Boolean> future = new CompletableFuture<>();
        CompletableFuture<Void> blocked = new CompletableFuture<>();
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                try (TaskGroup tg = TaskGroup.open()) {
                    Task<Void> t = tg.spawn(() -> Threads.toThread(() -> {
                        blocked.complete(null);
                        future.complete(event.await(5, TimeUnit.SECONDS));
                        return null;
                    }, null, CancelPolicy.ABANDON));
                    Async.await(blocked);
                    t.cancel();
                }
                Threads.toThread(() -> {
                    event.countDown();
                    return null;
                });
                return null;
            });
        }
        assertThat(future.get(5, TimeUnit.SECONDS)).isTrue();
    }

    /** The worker sees the ContextVar values of the calling task (set to 6 over a default of 1). */
    @Test
    void test_contextvar_propagation() throws Exception {
        ContextVar<Integer> var = ContextVar.withDefault("var", 1);
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            int seen = loop.runUntilComplete(() -> {
                var.set(6);
                return Threads.toThread(var::get);
            });
            assertThat(seen).isEqualTo(6);
        }
    }

    /**
     * In the worker thread no async library is running ({@code current_async_library()} is
     * None): no event loop runs there and there is no current task.
     */
    @Test
    void test_asynclib_detection() throws Exception {
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            List<Boolean> seen = loop.runUntilComplete(() -> Threads.toThread(
                    () -> List.of(EventLoop.running().isPresent(), Async.currentTask().isPresent())));
            assertThat(seen).containsExactly(false, false);
        }
    }

    /**
     * Cancelling the native task that awaits an abandoning to_thread call (task.cancel(), not a
     * cancel scope) just cancels it: the task ends cancelled and its task group exits normally.
     */
    @Test
    void test_asyncio_cancel_native_task() throws Exception {
        AtomicReference<Task<?>> task = new AtomicReference<>();
        CompletableFuture<Void> blocked = new CompletableFuture<>();
        CountDownLatch sleepOver = new CountDownLatch(1);
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                try (TaskGroup tg = TaskGroup.open()) {
                    tg.spawn(() -> {
                        task.set(Async.currentTask().orElseThrow());
                        return Threads.toThread(() -> {
                            blocked.complete(null);
                            return sleepOver.await(FAIL_SAFE_SECONDS, TimeUnit.SECONDS);
                        }, null, CancelPolicy.ABANDON);
                    });
                    Async.await(blocked);
                    assertThat(task.get() != null).isTrue();
                    task.get().cancel();
                }
                sleepOver.countDown(); // the original's time.sleep(0.2) ends after the group
                return null;
            });
        } finally {
            sleepOver.countDown();
        }
        assertThat(task.get().isCancelled()).isTrue();
    }

    /**
     * to_thread works in a task of a loop driven by run_forever (no asyncio.run, no root
     * task), the task stops the loop in its finally, and the worker thread has ended once the
     * loop is closed (join with the original's 2 s bound).
     */
    @Test
    void test_asyncio_no_root_task() throws Exception {
        AtomicReference<Thread> worker = new AtomicReference<>();
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            Task<Void> task = loop.createTask(() -> {
                try {
                    Threads.toThread(() -> {
                        worker.set(Thread.currentThread());
                        return null;
                    });
                } finally {
                    loop.callSoon(loop::stop);
                }
                return null;
            });
            loop.runForever();
            task.result();
        }
        worker.get().join(2_000);
        assertThat(worker.get().isAlive()).isFalse();
    }

    /**
     * run_until_complete of a to_thread call with no asyncio.run around it: nothing reaches the
     * loop's exception handler, including when the loop closes.
     */
    @Test
    void test_asyncio_run_sync_no_asyncio_run() throws Exception {
        List<Throwable> exceptions = new CopyOnWriteArrayList<>();
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.setExceptionHandler((l, context) -> exceptions.add(context.exception()));
            loop.runUntilComplete(() -> Threads.toThread(() -> null));
        }
        assertThat(exceptions).isEmpty();
    }

    /**
     * Three run_until_complete calls of to_thread on one loop each complete, with a stop timer
     * pending all along (0.5 s in the original; an hour here, so it never fires on a slow
     * machine), and the worker threads have ended once the loop is closed.
     */
    @Test
    void test_asyncio_run_sync_multiple() throws Exception {
        List<Thread> workers = new CopyOnWriteArrayList<>();
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.callLater(Duration.ofHours(1), loop::stop);
            for (int i = 0; i < 3; i++) {
                loop.runUntilComplete(() -> Threads.toThread(() -> workers.add(Thread.currentThread())));
            }
        }
        assertThat(workers).hasSize(3);
        for (Thread t : workers) {
            t.join(2_000);
            assertThat(t.isAlive()).isFalse();
        }
    }

    /**
     * Interleaved to_thread calls of two tasks (the second calls it twice right after the first
     * task's worker finished) all complete: a finished worker is never handed new work.
     */
    @Test
    void test_asyncio_no_recycle_stopping_worker() throws Exception {
        AsyncEvent event1 = new AsyncEvent();
        AsyncEvent event2 = new AsyncEvent();
        List<String> done = new CopyOnWriteArrayList<>();
        try (EventLoop loop = AsyncioCase.newRealLoop()) {
            loop.runUntilComplete(() -> {
                Task<Void> task1 = Async.spawn(() -> {
                    Threads.toThread(() -> null);
                    event1.set();
                    event2.await();
                    done.add("task1");
                    return null;
                });
                Task<Void> task2 = Async.spawn(() -> {
                    event1.await();
                    EventLoop.current().callSoon(event2::set);
                    Threads.toThread(() -> null);
                    Threads.toThread(() -> null);
                    done.add("task2");
                    return null;
                });
                List<Task<Void>> both = new ArrayList<>(List.of(task1, task2));
                return Async.await(Async.gather(both));
            });
        }
        assertThat(done).containsExactlyInAnyOrder("task1", "task2");
    }

    // ================================================================ helpers

    /**
     * anyio's {@code from_thread.run_sync(fn)} from a worker thread: {@code fn} runs as a
     * callback on {@code loop}'s thread; the caller blocks for its outcome.
     */
    static <T> T fromThreadRunSync(EventLoop loop, Callable<T> fn) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> {
            try {
                result.complete(fn.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return Async.await(result);
    }
}
