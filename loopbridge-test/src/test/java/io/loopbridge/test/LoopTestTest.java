package io.loopbridge.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.VirtualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;

/** What a {@link LoopTest} gets: a task on a fresh loop, in both task modes here, with or without virtual time. */
@BothTaskModes
class LoopTestTest {
    private EventLoop setUpLoop;
    private boolean setUpInATask;

    @BeforeEach
    void setUp(EventLoop loop) {
        setUpLoop = loop;
        setUpInATask = Task.current().isPresent();
    }

    @LoopTest
    void theMethodIsATaskOfTheLoopItIsGiven(EventLoop loop) throws Exception {
        assertThat(Task.current()).isPresent();
        assertThat(EventLoop.current()).isSameAs(loop);
        assertThat(loop.isRunning()).isTrue();
        assertThat(setUpLoop).as("@BeforeEach got the same loop").isSameAs(loop);
        assertThat(setUpInATask).as("@BeforeEach ran as a task").isTrue();
    }

    @LoopTest
    void itAwaitsWhatOtherThreadsComplete() throws Exception {
        assertThat(Async.toThread(() -> Thread.currentThread().getName())).isNotEqualTo(Thread.currentThread().getName());
        CompletableFuture<String> later = new CompletableFuture<>();
        Task<String> waiter = EventLoop.current().createTask(() -> Async.await(later));
        Async.checkpoint();
        later.complete("done");
        assertThat(Async.await(waiter)).isEqualTo("done");
    }

    @LoopTest(virtualTime = true, timeout = "10 s")
    void aThirtySecondTimeoutFiresAsSoonAsEveryTaskWaits(VirtualClock clock) throws Exception {
        long t0 = clock.nanoTime();
        assertThatThrownBy(() -> {
            try (var deadline = Async.timeout(Duration.ofSeconds(30))) {
                Async.await(new CompletableFuture<>());
            }
        }).isInstanceOf(TimeoutException.class);
        assertThat(clock.nanoTime() - t0).isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @LoopTest(virtualTime = true, timeout = "10 s")
    void anHourOfSleepIsAnHourOnTheLoopsClock(EventLoop loop, VirtualClock clock) throws Exception {
        long t0 = loop.time();
        Async.sleep(Duration.ofHours(1));
        assertThat(loop.time() - t0).isEqualTo(Duration.ofHours(1).toNanos());
        assertThat(clock.nanoTime()).isEqualTo(loop.time());
    }

    /** A task started in @BeforeEach serves the test and is stopped in @AfterEach: nothing is left pending. */
    @Nested
    class WithAServiceTaskStartedBeforeEachTest {
        private Task<Void> service;
        private final CompletableFuture<String> request = new CompletableFuture<>();
        private final CompletableFuture<String> reply = new CompletableFuture<>();

        @BeforeEach
        void startTheService(EventLoop loop) {
            service = loop.createTask("service", () -> {
                reply.complete("hello " + Async.await(request));
                Async.await(new CompletableFuture<>()); // then serves until cancelled
                return null;
            });
        }

        @AfterEach
        void stopTheService() throws Exception {
            service.cancel("test over");
            assertThatThrownBy(() -> Async.await(service)).isInstanceOf(java.util.concurrent.CancellationException.class);
        }

        @LoopTest
        void theTestTalksToIt() throws Exception {
            request.complete("test");
            assertThat(Async.await(reply)).isEqualTo("hello test");
        }
    }
}
