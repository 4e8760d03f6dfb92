package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class TaskTest {

    /**
     * A virtual thread started inside a task is not that task (in FAST mode it inherits the
     * task's executor as its scheduler, and runs on the loop thread as that task's steps):
     * it sees no current task, and the task still sees itself.
     */
    @Test
    void aVirtualThreadStartedInATaskIsNotTheTask() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<Object> seenByChild = new AtomicReference<>("not run");
            Task<Boolean> task = loop.createTask(() -> {
                Thread child = Thread.ofVirtual().start(() -> seenByChild.set(Task.current()));
                child.join(); // FAST: parks the task, the loop runs the child; PORTABLE: the child runs elsewhere
                return Task.current().orElseThrow() == Async.currentTask().orElseThrow();
            });
            assertThat(loop.runUntilComplete(task)).isTrue();
            assertThat(seenByChild.get()).isEqualTo(java.util.Optional.empty());
        }
    }

    @Test
    void awaitSuspendsTheTaskWhileTheLoopRunsOtherTasks() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            LoopFuture<String> ping = loop.createFuture();
            List<String> log = new ArrayList<>();
            Task<String> waiter = loop.createTask(() -> {
                log.add("waiting");
                String v = Async.await(ping);
                log.add("got " + v);
                return v.toUpperCase();
            });
            loop.createTask(() -> {
                log.add("completing");
                ping.complete("pong");
                return null;
            });
            assertThat(loop.runUntilComplete(waiter)).isEqualTo("PONG");
            assertThat(log).containsExactly("waiting", "completing", "got pong");
        }
    }

    @Test
    void noOtherTaskRunsBetweenTwoSuspensionPoints() throws Exception {
        int tasks = 10_000;
        int steps = 3;
        try (EventLoop loop = EventLoop.create()) {
            int[] shared = {0};
            Object[] owner = {null};
            int[] interleavings = {0};
            List<Task<Void>> all = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                all.add(loop.createTask(() -> {
                    Object me = new Object();
                    for (int s = 0; s < steps; s++) {
                        owner[0] = me;
                        for (int k = 0; k < 20; k++) {
                            int v = shared[0];
                            Thread.onSpinWait();
                            shared[0] = v + 1;
                            if (owner[0] != me) {
                                interleavings[0]++;
                            }
                        }
                        Async.checkpoint();
                    }
                    return null;
                }));
            }
            loop.runUntilComplete(Async.gatherSettled(all));
            assertThat(interleavings[0]).isZero();
            assertThat(shared[0]).isEqualTo(tasks * steps * 20);
        }
    }

    @Test
    void aJdkBlockingCallParksTheTaskNotTheLoopInFastMode() throws Exception {
        assumeTrue(TestLoops.expectedMode() == TaskMode.FAST, "FAST mode only");
        try (EventLoop loop = EventLoop.create()) {
            ReentrantLock lock = new ReentrantLock();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().name("lock-holder").start(() -> {
                lock.lock();
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    lock.unlock();
                }
            });
            held.await();
            CountDownLatch latch = new CountDownLatch(1);
            AtomicBoolean blockedInJdk = new AtomicBoolean();
            AtomicInteger stepsWhileBlocked = new AtomicInteger();
            Task<Void> blocked = loop.createTask(() -> {
                blockedInJdk.set(true);
                latch.await(); // counted down by another task of the same loop
                lock.lock(); // released once yet another task of the loop asks the holder
                lock.unlock();
                Thread.sleep(Duration.ofMillis(20));
                blockedInJdk.set(false);
                return null;
            });
            Task<Void> counter = loop.createTask(() -> {
                int phase = 0;
                while (!blocked.isDone()) {
                    if (blockedInJdk.get()) {
                        stepsWhileBlocked.incrementAndGet();
                        if (phase == 0) {
                            latch.countDown();
                            phase = 1;
                        } else if (phase == 1) {
                            release.countDown();
                            phase = 2;
                        }
                    }
                    Async.checkpoint();
                }
                return null;
            });
            loop.runUntilComplete(Async.gather(List.of(blocked, counter)));
            holder.join();
            assertThat(stepsWhileBlocked.get()).isPositive();
        }
    }

    @Test
    void awaitingACompletedFutureDoesNotSuspend() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            List<String> log = new ArrayList<>();
            LoopFuture<Integer> done = loop.createFuture();
            done.complete(7);
            loop.createTask(() -> {
                log.add("a1");
                int v = Async.await(done) + Async.await(CompletableFuture.completedFuture(1));
                log.add("a2=" + v);
                return null;
            });
            Task<Void> b = loop.createTask(() -> {
                log.add("b");
                return null;
            });
            loop.runUntilComplete(b);
            assertThat(log).containsExactly("a1", "a2=8", "b");
        }
    }

    @Test
    void exceptionsCrossUnwrappedWithTheAwaitingFramesAttached() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            Task<String> failing = loop.createTask(() -> {
                throw new IOException("connection refused");
            });
            Task<String> awaiting = loop.createTask(() -> {
                try {
                    return Async.await(failing);
                } catch (IOException e) {
                    return "caught " + e.getMessage() + " suppressed=" + e.getSuppressed().length;
                }
            });
            assertThat(loop.runUntilComplete(awaiting)).isEqualTo("caught connection refused suppressed=1");
            CompletableFuture<String> cf = CompletableFuture.failedFuture(new IOException("cf failed"));
            assertThat(loop.runUntilComplete(() -> {
                try {
                    return Async.await(cf);
                } catch (IOException e) {
                    return e.getMessage();
                }
            })).isEqualTo("cf failed");
        }
    }

    @Test
    void aTaskCannotAwaitItselfOrBeCompletedFromOutside() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<Task<?>> self = new AtomicReference<>();
            Task<Object> t = loop.createTask(() -> Async.await(Task.current().orElseThrow()));
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot await itself");
            assertThatThrownBy(() -> t.complete(1)).isInstanceOf(UnsupportedOperationException.class);
            self.set(t);
        }
    }

    // ------------------------------------------------------------------ cancellation

    @Test
    void cancelRaisesAtTheSuspensionPointAndCancelsTheAwaitedFuture() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            LoopFuture<String> never = loop.createFuture();
            List<String> log = new ArrayList<>();
            Task<String> t = loop.createTask(() -> {
                try {
                    return Async.await(never);
                } catch (CancelledException e) {
                    log.add("cancelled: " + e.getMessage());
                    Async.sleep(Duration.ZERO); // awaiting during cleanup works
                    log.add("cleaned up");
                    throw e;
                }
            });
            loop.callSoon(() -> loop.callSoon(() -> assertThat(t.cancel("stop it")).isTrue()));
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class).hasMessage("stop it");
            assertThat(t.isCancelled()).isTrue();
            assertThat(never.isCancelled()).isTrue();
            assertThat(log).containsExactly("cancelled: stop it", "cleaned up");
            assertThat(t.cancel("again")).isFalse();
        }
    }

    @Test
    void cancellingATaskThatAwaitsAnotherCancelsThatOneAndWaitsForItsCleanup() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            List<String> log = new ArrayList<>();
            Task<Void> inner = loop.createTask(() -> {
                try {
                    Async.await(loop.createFuture());
                } finally {
                    Async.checkpoint();
                    log.add("inner cleanup done");
                }
                return null;
            });
            Task<Void> outer = loop.createTask(() -> {
                try {
                    Async.await(inner);
                } catch (CancelledException e) {
                    log.add("outer saw cancel, inner done=" + inner.isDone());
                    throw e;
                }
                return null;
            });
            loop.createTask(() -> {
                Async.checkpoint();
                outer.cancel("cascade");
                return null;
            });
            assertThatThrownBy(() -> loop.runUntilComplete(outer)).isInstanceOf(CancelledException.class);
            assertThat(inner.isCancelled()).isTrue();
            assertThat(log).containsExactly("inner cleanup done", "outer saw cancel, inner done=true");
        }
    }

    @Test
    void cancelBeforeStartMeansTheBodyNeverRuns() {
        try (EventLoop loop = EventLoop.create()) {
            AtomicBoolean ran = new AtomicBoolean();
            Task<Void> t = loop.createTask(() -> {
                ran.set(true);
                return null;
            });
            t.cancel("early");
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(ran).isFalse();
        }
    }

    @Test
    void aBodyMaySwallowCancellationAndCountsAreKept() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            Task<String> t = loop.createTask(() -> {
                try {
                    Async.await(loop.createFuture());
                    return "not cancelled";
                } catch (CancelledException e) {
                    Task<?> me = Task.current().orElseThrow();
                    int before = me.cancelling();
                    int after = me.uncancel();
                    return "swallowed " + before + "->" + after;
                }
            });
            loop.callSoon(() -> loop.callSoon(() -> {
                t.cancel("one");
                t.cancel("two");
            }));
            assertThat(loop.runUntilComplete(t)).isEqualTo("swallowed 2->1");
            assertThat(t.isCancelled()).isFalse();
        }
    }

    @Test
    void cancelFromAnotherThreadIsForwardedToTheLoop() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Task<Void>> created = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> created.complete(loop.createTask(() -> {
                started.countDown();
                Async.await(loop.createFuture());
                return null;
            })));
            Task<Void> t = created.get();
            started.await();
            assertThat(t.cancel("from outside")).isTrue();
            assertThatThrownBy(() -> Async.await(t)).isInstanceOf(CancelledException.class).hasMessage("from outside");
        }
    }

    // ------------------------------------------------------------------ the one rule

    @Test
    void awaitOnAPlainThreadBlocksAndRethrowsTheOriginal() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            CompletableFuture<LoopFuture<Integer>> made = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> made.complete(loop.createFuture()));
            LoopFuture<Integer> f = made.get();
            loop.callSoonThreadsafe(() -> loop.callLater(Duration.ofMillis(1), () -> f.complete(42)));
            assertThat(Async.await(f)).isEqualTo(42);
            CompletableFuture<String> failed = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> failed.completeExceptionally(new IOException("io"))).join();
            assertThatThrownBy(() -> Async.await(failed)).isInstanceOf(IOException.class).hasMessage("io");
        }
    }

    @Test
    void awaitOnTheLoopThreadOutsideATaskThrowsAtOnce() {
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<Throwable> err = new AtomicReference<>();
            loop.callSoon(() -> {
                try {
                    Async.await(new CompletableFuture<>());
                } catch (Throwable t) {
                    err.set(t);
                }
                loop.stop();
            });
            loop.runForever();
            assertThat(err.get()).isInstanceOf(BlockingOnLoopException.class)
                    .hasMessageContaining(loop.name()).hasMessageContaining("outside any task");
        }
    }

    @Test
    void anInterruptEndsAPlainThreadsWait() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            LoopFuture<String> never = loop.createFuture();
            AtomicReference<Throwable> err = new AtomicReference<>();
            CountDownLatch waiting = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    waiting.countDown();
                    Async.await(never);
                } catch (Throwable e) {
                    err.set(e);
                }
            });
            waiting.await();
            t.interrupt();
            t.join();
            assertThat(err.get()).isInstanceOf(InterruptedException.class).hasMessageContaining("interrupted while waiting");
        }
    }

    // ------------------------------------------------------------------ diagnostics and lifetime

    @Test
    void aFailedTaskNobodyReadIsReportedWhenTheLoopCloses() throws Exception {
        List<ExceptionContext> seen = new ArrayList<>();
        EventLoop loop = EventLoop.create();
        loop.setExceptionHandler((l, c) -> seen.add(c));
        loop.createTask(() -> {
            throw new IllegalStateException("nobody reads me");
        });
        Task<Void> read = loop.createTask(() -> {
            throw new IllegalStateException("somebody reads me");
        });
        loop.runUntilComplete(() -> {
            Async.checkpoint();
            return null;
        });
        assertThat(read.exception()).hasMessage("somebody reads me");
        loop.close();
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).message()).contains("never retrieved");
        assertThat(seen.get(0).exception()).hasMessage("nobody reads me");
    }

    @Test
    void toStringShowsNameStateAndWhereItIsSuspended() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            LoopFuture<Void> gate = loop.createFuture();
            Task<Void> t = loop.createTask("fetcher", () -> {
                Async.await(gate);
                return null;
            });
            String[] seen = new String[1];
            loop.runUntilComplete(() -> {
                Async.checkpoint();
                seen[0] = t.toString();
                gate.complete(null);
                return null;
            });
            assertThat(seen[0]).contains("fetcher").contains("running").contains("TaskTest");
            loop.runUntilComplete(t);
            assertThat(t.toString()).contains("fetcher").contains("done");
        }
    }

    @Test
    void unreferencedTasksStillRunToCompletion() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            AtomicInteger done = new AtomicInteger();
            LoopFuture<Void> gate = loop.createFuture();
            for (int i = 0; i < 1_000; i++) {
                loop.createTask(() -> {
                    Async.await(gate);
                    done.incrementAndGet();
                    return null;
                });
            }
            System.gc();
            loop.runUntilComplete(() -> {
                gate.complete(null);
                while (done.get() < 1_000) {
                    Async.checkpoint();
                }
                return null;
            });
            assertThat(done).hasValue(1_000);
        }
    }

    @Test
    void closeCancelsAndDrainsLeftoverTasks() throws Exception {
        EventLoop loop = EventLoop.create();
        List<String> log = new ArrayList<>();
        Task<Void> t = loop.createTask(() -> {
            try {
                Async.await(loop.createFuture());
            } finally {
                log.add("cleanup");
            }
            return null;
        });
        loop.runUntilComplete(() -> {
            Async.checkpoint();
            return null;
        });
        loop.close();
        assertThat(t.isCancelled()).isTrue();
        assertThat(log).containsExactly("cleanup");
    }

    private static Void parkedInHelper(LoopFuture<Void> gate) throws Exception {
        return Async.await(gate);
    }

    @Test
    void stackShowsWhereASuspendedTaskWaitsWithoutLibraryFrames() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            LoopFuture<Void> gate = loop.createFuture();
            Task<Void> t = loop.createTask("parked", () -> parkedInHelper(gate));
            loop.runUntilComplete(() -> {
                Async.checkpoint();
                List<StackTraceElement> all = t.stack();
                assertThat(all).isNotEmpty();
                assertThat(all.get(0).getMethodName()).isEqualTo("parkedInHelper");
                assertThat(all).extracting(StackTraceElement::getClassName)
                        .allMatch(c -> c.equals(TaskTest.class.getName()));
                assertThat(t.stack(1)).containsExactly(all.get(0));
                assertThat(t.stack(0)).isEmpty();
                assertThat(t.toString()).isEqualTo("Task[parked, running, suspended at " + all.get(0) + "]");
                return null;
            });
            gate.complete(null);
            loop.runUntilComplete(t);
            assertThat(t.stack()).isEmpty();
            assertThatThrownBy(() -> t.stack(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-1");
        }
    }

    @Test
    void printStackOfAFailedTaskPrintsItsException() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            Task<Void> t = loop.createTask("failing", () -> {
                throw new IOException("disk gone");
            });
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(IOException.class);
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            t.printStack(10, new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
            assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8))
                    .startsWith("Stack for Task[failing, failed: java.io.IOException: disk gone]:" + System.lineSeparator()
                            + "java.io.IOException: disk gone")
                    .contains("java.io.IOException: disk gone")
                    .contains("\tat io.loopbridge.TaskTest");
        }
    }

    /**
     * A done-callback does not count as reading a failure (asyncio's add_done_callback does not
     * either): a failure neither the callback nor anyone else reads is still reported. Adding a
     * callback used to mark it read, so it vanished.
     */
    @Test
    void aDoneCallbackDoesNotHideAFailureNobodyReads() {
        for (boolean callbackReads : new boolean[] {false, true}) {
            List<ExceptionContext> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            EventLoop loop = EventLoop.create();
            try {
                loop.setExceptionHandler((l, c) -> seen.add(c));
                Task<Object> t = loop.createTask(() -> {
                    throw new IllegalArgumentException("boom");
                });
                t.addDoneCallback(done -> {
                    if (callbackReads) {
                        assertThat(done.exception()).hasMessage("boom");
                    }
                    loop.stop();
                });
                loop.runForever();
                assertThat(t.isDone()).isTrue();
            } finally {
                loop.close();
            }
            if (callbackReads) {
                assertThat(seen).as("read by the callback").isEmpty();
            } else {
                assertThat(seen).as("read by nobody").singleElement()
                        .satisfies(c -> assertThat(c.exception()).hasMessage("boom"));
            }
        }
    }

    /**
     * The report of a failure nobody read, made when the task is collected (on the cleaner's
     * thread), reaches the exception handler on the loop thread, as the handler's contract says;
     * it used to run on the cleaner's thread, beside the running loop.
     */
    @Test
    void aNeverRetrievedReportFromAnotherThreadRunsOnTheLoopThread() throws Exception {
        EventLoop loop = EventLoop.create();
        AtomicReference<Thread> handlerThread = new AtomicReference<>();
        CountDownLatch handled = new CountDownLatch(1);
        loop.setExceptionHandler((l, c) -> {
            handlerThread.set(Thread.currentThread());
            handled.countDown();
        });
        SelectorEventLoop internal = (SelectorEventLoop) loop;
        try (TestLoops.Background bg = new TestLoops.Background(loop)) {
            FailureWatch w = new FailureWatch(internal, internal.tasks(), "Task 'collected'", new IOException("never read"));
            Thread cleaner = Thread.ofPlatform().name("cleaner-stand-in").start(w); // what the Cleaner does
            cleaner.join();
            handled.await();
            assertThat(handlerThread.get()).isSameAs(bg.thread);
        }
    }

    /**
     * FAST mode: a virtual thread a task starts inherits the task's scheduler, so it used to run
     * on the loop's thread (stalling it while it ran) and, once the loop closed, never ran again
     * (its wake-up went to the closed loop). It is an ordinary virtual thread: it runs on the
     * JDK's scheduler and finishes its wait after the loop closed.
     */
    @Test
    void aVirtualThreadATaskStartsOutlivesTheLoop() throws Exception {
        CompletableFuture<String> gate = new CompletableFuture<>();
        CompletableFuture<Object> childOutcome = new CompletableFuture<>();
        CompletableFuture<Boolean> waiting = new CompletableFuture<>();
        try (EventLoop loop = EventLoop.create()) {
            loop.runUntilComplete(loop.createTask(() -> {
                Thread.ofVirtual().name("child-of-a-task").start(() -> {
                    try {
                        waiting.complete(true);
                        childOutcome.complete(Async.await(gate));
                    } catch (Throwable e) {
                        childOutcome.complete(e);
                    }
                });
                Async.await(waiting);
                return null;
            }));
        }
        gate.complete("opened");
        assertThat(childOutcome.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("opened");
    }
}
