package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class ThreadsTest {

    @Test
    void toThreadRunsOffTheLoopWhileOtherTasksProgress() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            CountDownLatch otherRan = new CountDownLatch(1);
            AtomicReference<Thread> workerThread = new AtomicReference<>();
            Task<String> t = loop.createTask(() -> Threads.toThread(() -> {
                workerThread.set(Thread.currentThread());
                otherRan.await(); // only another task of the loop can release this
                return "done";
            }));
            loop.createTask(() -> {
                otherRan.countDown();
                return null;
            });
            Thread me = Thread.currentThread();
            assertThat(loop.runUntilComplete(t)).isEqualTo("done");
            assertThat(workerThread.get()).isNotSameAs(me);
        }
    }

    @Test
    void toThreadRethrowsTheOriginalException() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            String r = loop.runUntilComplete(() -> {
                try {
                    return Threads.toThread(() -> {
                        throw new IOException("disk gone");
                    });
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            assertThat(r).isEqualTo("disk gone");
        }
    }

    @Test
    void aLimiterBoundsConcurrencyAndEveryCallRunsOnce() throws Exception {
        CapacityLimiter limiter = new CapacityLimiter(3);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        try (EventLoop loop = EventLoop.create()) {
            List<Task<Integer>> tasks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                tasks.add(loop.createTask(() -> Threads.toThread(() -> {
                    int now = running.incrementAndGet();
                    maxRunning.accumulateAndGet(now, Math::max);
                    runs.incrementAndGet();
                    Thread.yield();
                    running.decrementAndGet();
                    return n;
                }, limiter)));
            }
            List<Integer> results = loop.runUntilComplete(Async.gather(tasks));
            assertThat(results).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(results.get(i)).isEqualTo(i);
            }
        }
        assertThat(runs).hasValue(200);
        assertThat(maxRunning.get()).isBetween(1, 3);
        assertThat(limiter.borrowed()).isZero();
    }

    @Test
    void cancellingTheAwaiterKeepsThePermitUntilTheWorkReallyEnds() throws Exception {
        CapacityLimiter limiter = new CapacityLimiter(1);
        CountDownLatch workStarted = new CountDownLatch(1);
        CountDownLatch finishWork = new CountDownLatch(1);
        CountDownLatch workEnded = new CountDownLatch(1);
        try (EventLoop loop = EventLoop.create()) {
            Task<String> t = loop.createTask(() -> Threads.toThread(() -> {
                workStarted.countDown();
                finishWork.await();
                workEnded.countDown();
                return "late";
            }, limiter));
            loop.runUntilComplete(() -> {
                Threads.toThread(() -> {
                    workStarted.await();
                    return null;
                });
                t.cancel("enough");
                return null;
            });
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(limiter.borrowed()).as("worker still running").isEqualTo(1);
            finishWork.countDown();
            workEnded.await();
            loop.runUntilComplete(() -> {
                limiter.acquire(); // available again once the abandoned work finished
                limiter.release();
                return null;
            });
            assertThat(limiter.borrowed()).isZero();
        }
    }

    @Test
    void theInterruptPolicyInterruptsTheWorker() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> workerSaw = new AtomicReference<>();
        CountDownLatch workerDone = new CountDownLatch(1);
        try (EventLoop loop = EventLoop.create()) {
            Task<Object> t = loop.createTask(() -> Threads.toThread(() -> {
                started.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    workerSaw.set(e);
                } finally {
                    workerDone.countDown();
                }
                return null;
            }, null, Threads.CancelPolicy.INTERRUPT));
            loop.runUntilComplete(() -> {
                Threads.toThread(() -> {
                    started.await();
                    return null;
                });
                t.cancel("interrupt it");
                return null;
            });
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            workerDone.await();
            assertThat(workerSaw.get()).isInstanceOf(InterruptedException.class);
        }
    }

    @Test
    void contextVarsAndMdcTravelIntoTheWorker() throws Exception {
        ContextVar<String> user = ContextVar.of("user");
        try (EventLoop loop = EventLoop.create()) {
            String seen = loop.runUntilComplete(() -> {
                user.set("ada");
                MDC.put("request", "r-1");
                try {
                    return Threads.toThread(() -> user.get() + "/" + MDC.get("request") + "/"
                            + Task.current().isPresent());
                } finally {
                    MDC.remove("request");
                }
            });
            assertThat(seen).isEqualTo("ada/r-1/false");
        }
    }

    @Test
    void runInExecutorRunsCpuBoundWorkOnAForkJoinPool() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(2);
        try (EventLoop loop = EventLoop.create()) {
            long sum = loop.runUntilComplete(() -> Threads.runInExecutor(pool, () -> {
                assertThat(Thread.currentThread()).isInstanceOf(java.util.concurrent.ForkJoinWorkerThread.class);
                long s = 0;
                for (int i = 0; i < 1_000_000; i++) {
                    s += i;
                }
                return s;
            }));
            assertThat(sum).isEqualTo(499_999_500_000L);
        } finally {
            pool.shutdown();
            pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ runCoroutineThreadsafe

    @Test
    void runCoroutineThreadsafeRunsATaskInTheCallersContext() throws Exception {
        ContextVar<String> tenant = ContextVar.of("tenant");
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            tenant.set("acme");
            MDC.put("trace", "t-9");
            try {
                CompletableFuture<String> f = Threads.runCoroutineThreadsafe(() -> {
                    Async.sleep(Duration.ofMillis(1));
                    return tenant.get() + "/" + MDC.get("trace") + "/" + Task.current().isPresent();
                }, loop);
                assertThat(f.get()).isEqualTo("acme/t-9/true");
            } finally {
                MDC.remove("trace");
            }
        }
    }

    @Test
    void cancelReportsCancelledOnlyAfterTheTasksCleanup() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            CountDownLatch inBody = new CountDownLatch(1);
            CountDownLatch releaseCleanup = new CountDownLatch(1);
            AtomicInteger cleanups = new AtomicInteger();
            CompletableFuture<String> f = Threads.runCoroutineThreadsafe(() -> {
                try {
                    inBody.countDown();
                    Async.await(loop.createFuture());
                    return "never";
                } finally {
                    Threads.toThread(() -> {
                        releaseCleanup.await();
                        return null;
                    });
                    cleanups.incrementAndGet();
                }
            }, loop);
            inBody.await();
            assertThat(f.cancel(true)).isTrue();
            assertThat(f.isDone()).as("not done while the task cleans up").isFalse();
            releaseCleanup.countDown();
            assertThatThrownBy(f::join).isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(f.isCancelled()).isTrue();
            assertThat(cleanups).hasValue(1);
        }
    }

    @Test
    void contextAndMdcFollowEventThreadSubmitAndTaskCreation() throws Exception {
        ContextVar<String> user = ContextVar.of("user");
        try (EventThread et = new EventThread("ctx").start()) {
            user.set("grace");
            MDC.put("req", "r-7");
            try {
                String seen = et.submit(() -> {
                    String here = user.get() + "/" + MDC.get("req");
                    user.set("changed-in-task");
                    MDC.put("req", "r-8");
                    Task<String> child = Async.spawn(() -> user.get() + "/" + MDC.get("req"));
                    return here + " child=" + Async.await(child);
                }).get();
                assertThat(seen).isEqualTo("grace/r-7 child=changed-in-task/r-8");
                assertThat(user.get()).as("a task's writes never leak to its creator").isEqualTo("grace");
                assertThat(MDC.get("req")).isEqualTo("r-7");
            } finally {
                MDC.remove("req");
            }
        }
    }

    @Test
    void blockingOnTheFutureFromTheLoopThreadIsRefused() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            CompletableFuture<Throwable> seen = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> {
                try {
                    Threads.runCoroutineThreadsafe(() -> "x", loop).get();
                    seen.complete(null);
                } catch (Throwable t) {
                    seen.complete(t);
                }
            });
            assertThat(seen.get()).isInstanceOf(BlockingOnLoopException.class);
        }
    }

    @Test
    void submittingToAClosedLoopIsRejected() {
        EventLoop loop = EventLoop.create();
        loop.close();
        assertThatThrownBy(() -> Threads.runCoroutineThreadsafe(() -> "x", loop))
                .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
    }

    /**
     * As asyncio's to_thread, whose future cancels the executor's pending job: work that a
     * cancellation overtook while it waited in the executor's queue never runs.
     */
    @Test
    void toThreadWorkCancelledWhileQueuedInTheExecutorNeverRuns() throws Exception {
        java.util.concurrent.ExecutorService one = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (EventLoop loop = EventLoop.builder().defaultExecutor(one).build()) {
            CompletableFuture<Void> firstRunning = new CompletableFuture<>();
            CountDownLatch releaseFirst = new CountDownLatch(1);
            AtomicInteger secondRan = new AtomicInteger();
            loop.runUntilComplete(() -> {
                Task<Object> first = Async.spawn(() -> Threads.toThread(() -> {
                    firstRunning.complete(null);
                    releaseFirst.await();
                    return null;
                }));
                Async.await(firstRunning); // the executor's one thread is taken
                Task<Integer> second = Async.spawn(() -> Threads.toThread(secondRan::incrementAndGet));
                Async.checkpoint(); // its job now waits in the executor's queue
                assertThat(second.isDone()).isFalse();
                second.cancel();
                assertThatThrownBy(() -> Async.await(second)).isInstanceOf(CancelledException.class);
                releaseFirst.countDown();
                Async.await(first);
                Async.await(CompletableFuture.runAsync(() -> { }, one)); // FIFO: the queued job was taken before
                return null;
            });
            assertThat(secondRan.get()).as("the cancelled job ran").isZero();
        } finally {
            one.shutdownNow();
        }
    }

    /**
     * The future of runInExecutor gets the work's outcome even when its loop closed while the
     * work ran: a plain thread waiting in get() is not left waiting for a callback the closed
     * loop would never run.
     */
    @Test
    void runInExecutorsFutureCompletesWhenItsLoopClosedWhileTheWorkRan() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            LoopFuture<String> f;
            try (EventLoop loop = EventLoop.create()) {
                f = loop.runInExecutor(pool, () -> {
                    running.countDown();
                    release.await();
                    return "done";
                });
                running.await();
            }
            release.countDown();
            assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("done");
        } finally {
            pool.shutdownNow();
        }
    }
}
