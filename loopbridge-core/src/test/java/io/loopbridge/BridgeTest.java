package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BridgeTest {

    @AfterEach
    void closeThisThreadsLoop() {
        Bridge.closeThreadLoop();
    }

    @Test
    void onAPlainThreadTheSameCachedLoopServesEveryCall() throws Exception {
        EventLoop first = Bridge.runSync(EventLoop::current);
        // A loop-bound resource made in one call still works in the next.
        LoopFuture<String> made = Bridge.runSync(() -> EventLoop.current().createFuture());
        String got = Bridge.runSync(() -> {
            EventLoop.current().callLater(Duration.ofMillis(1), () -> made.complete("still works"));
            return Async.await(made);
        });
        assertThat(got).isEqualTo("still works");
        assertThat(Bridge.runSync(EventLoop::current)).isSameAs(first);
        assertThat(EventLoop.running()).isEmpty();
    }

    @Test
    void exceptionsComeOutUnwrapped() {
        assertThatThrownBy(() -> Bridge.runSync(() -> {
            Async.sleep(Duration.ZERO);
            throw new IOException("nope");
        })).isInstanceOf(IOException.class).hasMessage("nope");
    }

    @Test
    void closeThreadLoopClosesItAndTheNextCallMakesANewOne() throws Exception {
        EventLoop first = Bridge.runSync(EventLoop::current);
        Bridge.closeThreadLoop();
        assertThat(first.isClosed()).isTrue();
        EventLoop second = Bridge.runSync(EventLoop::current);
        assertThat(second).isNotSameAs(first);
    }

    @Test
    void theCachedLoopIsClosedWhenItsThreadEnds() throws Exception {
        AtomicReference<EventLoop> loop = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                loop.set(Bridge.runSync(EventLoop::current));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        t = null;
        for (int i = 0; i < 200 && !loop.get().isClosed(); i++) {
            System.gc();
            CountDownLatch tick = new CountDownLatch(1);
            Thread.ofVirtual().start(tick::countDown);
            tick.await();
        }
        assertThat(loop.get().isClosed()).as("closed after its thread was collected").isTrue();
    }

    @Test
    void insideATaskTheBodyRunsInlineWhileTheLoopRunsOtherTasks() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            AtomicInteger otherSteps = new AtomicInteger();
            LoopFuture<String> gate = loop.createFuture();
            Task<String> t = loop.createTask(() -> Bridge.runSync(() -> {
                Task<?> me = Task.current().orElseThrow();
                String v = Async.await(gate);
                return v + " in " + me.name() + ", others ran " + otherSteps.get();
            }));
            loop.createTask("other", () -> {
                otherSteps.incrementAndGet();
                Async.checkpoint();
                otherSteps.incrementAndGet();
                gate.complete("opened");
                return null;
            });
            assertThat(loop.runUntilComplete(t)).isEqualTo("opened in " + t.name() + ", others ran 2");
        }
    }

    @Test
    void onALoopThreadOutsideATaskItIsRefusedUnlessAskedToUseAWorker() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            CompletableFuture<Object> refused = new CompletableFuture<>();
            CompletableFuture<Object> viaWorker = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> {
                try {
                    refused.complete(Bridge.runSync(() -> "x"));
                } catch (Throwable e) {
                    refused.complete(e);
                }
                try {
                    viaWorker.complete(Bridge.runSync(() -> {
                        Async.sleep(Duration.ofMillis(1));
                        return "ran on " + Thread.currentThread().isVirtual();
                    }, Bridge.OnLoop.RUN_IN_WORKER));
                } catch (Throwable e) {
                    viaWorker.complete(e);
                }
            });
            assertThat(refused.get()).isInstanceOf(BlockingOnLoopException.class);
            assertThat(viaWorker.get()).isEqualTo("ran on true");
        }
    }

    @Test
    void onAPlainVirtualThreadItWorksToo() throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                out.set(Bridge.runSync(() -> {
                    Async.sleep(Duration.ofMillis(1));
                    return EventLoop.current().taskMode();
                }));
                Bridge.closeThreadLoop();
            } catch (Throwable e) {
                out.set(e);
            }
        });
        t.join();
        assertThat(out.get()).isEqualTo(TaskMode.PORTABLE);
    }

    /** What the body throws inside a task is its own outcome, even a BlockingOnLoopException: it is never run again on a worker. */
    @Test
    void insideATaskTheBodyRunsOnceWhateverItThrows() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Object out = Async.run(() -> {
            try {
                return Bridge.runSync(() -> {
                    runs.incrementAndGet();
                    throw new BlockingOnLoopException("thrown by the body itself");
                }, Bridge.OnLoop.RUN_IN_WORKER);
            } catch (BlockingOnLoopException e) {
                return e.getMessage();
            }
        });
        assertThat(out).isEqualTo("thrown by the body itself");
        assertThat(runs.get()).isEqualTo(1);
    }

    /**
     * A loop thread blocked in runSync(RUN_IN_WORKER) is interrupted: the interrupt reaches the
     * worker's loop, which cancels the body (as Async.run on an interrupted thread), and the
     * caller gets the InterruptedException, instead of waiting for a body that may never end.
     */
    @Test
    void interruptingALoopThreadWaitingForItsWorkerCancelsTheBody() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            CountDownLatch bodyStarted = new CountDownLatch(1);
            CompletableFuture<Object> never = new CompletableFuture<>();
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            CompletableFuture<Boolean> interruptStatus = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> {
                try {
                    outcome.complete(Bridge.runSync(() -> {
                        bodyStarted.countDown();
                        return Async.await(never);
                    }, Bridge.OnLoop.RUN_IN_WORKER));
                } catch (Throwable e) {
                    outcome.complete(e);
                }
                interruptStatus.complete(Thread.interrupted());
            });
            bodyStarted.await();
            try {
                bg.thread.interrupt();
                assertThat(outcome.get(30, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
                assertThat(interruptStatus.get()).as("reported by the exception, as the JDK's blocking calls do").isFalse();
            } finally {
                never.complete("released"); // if the interrupt did not end the body, the test still ends
            }
        }
    }
}
