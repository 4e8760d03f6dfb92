package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class WaiterTest {

    // ---------------------------------------------------------------- which waiter

    @Test
    void aPlainThreadGetsAParkingWaiterOnTheSystemClock() {
        long before = System.nanoTime();
        Waiter w = Waiter.forCaller("test");
        assertThat(w).isInstanceOf(Waiter.OfThread.class);
        assertThat(w.now()).isBetween(before, System.nanoTime());
        assertThat(w.isPending()).isTrue();
        assertThat(w.wasWoken()).isFalse();
        assertThat(w.gaveUp()).isFalse();
    }

    @Test
    void aTaskGetsASuspendingWaiterOnItsLoopsClock() throws Exception {
        VirtualClock clock = VirtualClock.manual();
        try (EventLoop loop = EventLoop.builder().clock(clock).build()) {
            clock.advance(java.time.Duration.ofSeconds(3));
            loop.runUntilComplete(() -> {
                Waiter w = Waiter.forCaller("test");
                assertThat(w).isInstanceOf(Waiter.OfTask.class);
                assertThat(w.now()).isEqualTo(loop.time()).isEqualTo(3_000_000_000L);
                assertThat(w.isPending()).isTrue();
                return null;
            });
        }
    }

    @Test
    void aLoopThreadOutsideAnyTaskIsRefusedAWaiter() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            Throwable refused = loop.runUntilComplete(() -> {
                CompletableFuture<Throwable> outcome = new CompletableFuture<>();
                loop.callSoon(() -> {
                    try {
                        Waiter.forCaller("WaiterTest.wait");
                        outcome.complete(null);
                    } catch (Throwable e) {
                        outcome.complete(e);
                    }
                });
                return Async.await(outcome);
            });
            assertThat(refused).isInstanceOf(BlockingOnLoopException.class).hasMessageContaining("WaiterTest.wait");
        }
    }

    // ---------------------------------------------------------------- a thread, one side at a time

    @Test
    void aThreadWokenBeforeItWaitsReturnsAtOnce() throws Exception {
        Waiter w = Waiter.forCaller("test");
        assertThat(w.wake()).isTrue();
        assertThat(w.wake()).as("a second wake-up finds it already woken").isFalse();
        assertThat(w.await(Long.MAX_VALUE)).isTrue();
        assertThat(w.wasWoken()).isTrue();
        assertThat(w.gaveUp()).isFalse();
        assertThat(w.isPending()).isFalse();
    }

    @Test
    void aThreadWhoseDeadlinePassedGivesUpAndAWakeUpAfterThatLoses() throws Exception {
        Waiter w = Waiter.forCaller("test");
        assertThat(w.await(System.nanoTime() - 1)).isFalse();
        assertThat(w.gaveUp()).isTrue();
        assertThat(w.wasWoken()).isFalse();
        assertThat(w.isPending()).isFalse();
        assertThat(w.wake()).isFalse();
        assertThat(w.wasWoken()).isFalse();
    }

    @Test
    void anInterruptedThreadGivesUpWithInterruptedExceptionAndTheFlagConsumed() {
        Waiter w = Waiter.forCaller("BridgeQueue.take");
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> w.await(Long.MAX_VALUE)).isInstanceOf(InterruptedException.class)
                .hasMessageContaining("BridgeQueue.take").hasMessageContaining(Thread.currentThread().getName());
        assertThat(Thread.interrupted()).isFalse();
        assertThat(w.gaveUp()).isTrue();
        assertThat(w.wake()).isFalse();
    }

    @Test
    void aWokenThreadKeepsAnInterruptThatCameToo() throws Exception {
        Waiter w = Waiter.forCaller("test");
        w.wake();
        Thread.currentThread().interrupt();
        try {
            assertThat(w.await(Long.MAX_VALUE)).isTrue();
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt is not swallowed").isTrue();
        }
    }

    @Test
    void aThreadWhoseDeadlinePassedWithAnInterruptPendingDoesNotLoseTheInterrupt() {
        Waiter w = Waiter.forCaller("test");
        Thread.currentThread().interrupt();
        boolean thrown = false;
        try {
            assertThat(w.await(System.nanoTime() - 1)).isFalse();
        } catch (InterruptedException e) {
            thrown = true;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        boolean flag = Thread.interrupted();
        assertThat(thrown || flag).as("the interrupt is thrown or kept, never dropped").isTrue();
        assertThat(thrown && flag).as("and not both").isFalse();
        assertThat(w.gaveUp()).isTrue();
    }

    @Test
    void aWakeUpFromAnotherThreadEndsAParkedWait() throws Exception {
        CompletableFuture<Waiter> published = new CompletableFuture<>();
        CompletableFuture<Boolean> outcome = new CompletableFuture<>();
        Thread waiting = Thread.ofPlatform().name("waiter").start(() -> {
            try {
                Waiter w = Waiter.forCaller("test");
                published.complete(w);
                outcome.complete(w.await(Long.MAX_VALUE));
            } catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        });
        Waiter w = published.get(10, TimeUnit.SECONDS);
        awaitParkedOn(waiting, w);
        assertThat(w.wake()).isTrue();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isTrue();
        waiting.join();
    }

    // ---------------------------------------------------------------- a thread, both sides racing

    @Test
    void aThreadsWakeUpRacingItsDeadlineHasExactlyOneOutcome() throws Exception {
        int iterations = 2000;
        Waiter[] waiters = new Waiter[iterations];
        boolean[] wakeWon = new boolean[iterations];
        boolean[] awaitWoken = new boolean[iterations];
        AtomicInteger[] outcomes = {new AtomicInteger(), new AtomicInteger()};
        Random rnd = new Random(3);
        long[] deadlineOffsets = new long[iterations];
        int[] wakerSpins = new int[iterations];
        for (int i = 0; i < iterations; i++) {
            deadlineOffsets[i] = rnd.nextInt(20_000) - 5_000; // some already passed
            wakerSpins[i] = rnd.nextInt(1_000);
        }
        race(iterations, List.of(
                new Role() { // the waiter
                    @Override
                    public void prepare(int i) {
                        waiters[i] = Waiter.forCaller("race");
                    }

                    @Override
                    public void run(int i) throws Exception {
                        awaitWoken[i] = waiters[i].await(System.nanoTime() + deadlineOffsets[i]);
                    }

                    @Override
                    public void check(int i) {
                        Waiter w = waiters[i];
                        assertThat(awaitWoken[i]).as("iteration %d: await's result vs wake's", i).isEqualTo(wakeWon[i]);
                        assertThat(w.wasWoken()).isEqualTo(wakeWon[i]);
                        assertThat(w.gaveUp()).isEqualTo(!wakeWon[i]);
                        assertThat(w.isPending()).isFalse();
                        assertThat(w.wake()).as("a late wake-up loses").isFalse();
                        outcomes[wakeWon[i] ? 1 : 0].incrementAndGet();
                    }
                },
                new Role() { // the waker
                    @Override
                    public void run(int i) {
                        for (int s = wakerSpins[i]; s > 0; s--) {
                            Thread.onSpinWait();
                        }
                        wakeWon[i] = waiters[i].wake();
                    }
                }));
        assertThat(outcomes[0].get() + outcomes[1].get()).isEqualTo(iterations);
    }

    @Test
    void aThreadsWakeUpRacingAnInterruptHasExactlyOneOutcomeAndNeverLosesTheInterrupt() throws Exception {
        int iterations = 1500;
        Waiter[] waiters = new Waiter[iterations];
        Thread[] waiterThread = new Thread[1];
        boolean[] wakeWon = new boolean[iterations];
        Object[] awaitOutcome = new Object[iterations];
        boolean[] flagAfter = new boolean[iterations];
        AtomicInteger opsDone = new AtomicInteger();
        race(iterations, List.of(
                new Role() { // the waiter
                    @Override
                    public void prepare(int i) {
                        waiterThread[0] = Thread.currentThread();
                        waiters[i] = Waiter.forCaller("race");
                    }

                    @Override
                    public void run(int i) {
                        try {
                            awaitOutcome[i] = waiters[i].await(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            awaitOutcome[i] = e;
                        } catch (Exception e) {
                            awaitOutcome[i] = e;
                        }
                        // The interrupter's call may still be on its way: wait for it before reading the flag.
                        while (opsDone.get() < 2 * (i + 1)) {
                            Thread.yield();
                        }
                        flagAfter[i] = Thread.interrupted();
                    }

                    @Override
                    public void check(int i) {
                        Waiter w = waiters[i];
                        if (awaitOutcome[i] instanceof InterruptedException) {
                            assertThat(wakeWon[i]).as("iteration %d: gave up, yet the wake-up was delivered", i).isFalse();
                            assertThat(w.gaveUp()).isTrue();
                            assertThat(w.wasWoken()).isFalse();
                            assertThat(flagAfter[i]).as("iteration %d: the interrupt was thrown, not also kept", i).isFalse();
                        } else {
                            assertThat(awaitOutcome[i]).as("iteration %d: with no deadline only a wake-up returns", i)
                                    .isEqualTo(Boolean.TRUE);
                            assertThat(wakeWon[i]).isTrue();
                            assertThat(w.wasWoken()).isTrue();
                            assertThat(flagAfter[i]).as("iteration %d: the interrupt is kept for later", i).isTrue();
                        }
                    }
                },
                new Role() { // the waker
                    @Override
                    public void run(int i) {
                        wakeWon[i] = waiters[i].wake();
                        opsDone.incrementAndGet();
                    }
                },
                new Role() { // the interrupter
                    @Override
                    public void run(int i) {
                        waiterThread[0].interrupt();
                        opsDone.incrementAndGet();
                    }
                }));
    }

    // ---------------------------------------------------------------- a task

    @Test
    void aTaskWokenWhenItsDeadlineIsAlsoDueIsWokenIfTheWakeUpWasScheduledFirst() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            loop.runUntilComplete(() -> {
                Waiter w = Waiter.forCaller("test");
                long deadline = loop.time() + 1_000_000;
                AtomicReference<Boolean> wakeWon = new AtomicReference<>();
                loop.callAt(deadline, () -> wakeWon.set(w.wake())); // before the waiter's own timer
                assertThat(w.await(deadline)).isTrue();
                assertThat(wakeWon.get()).isTrue();
                assertThat(w.wasWoken()).isTrue();
                assertThat(w.gaveUp()).isFalse();
                assertThat(loop.time()).isEqualTo(deadline);
                return null;
            });
        }
    }

    @Test
    void aTaskWhoseDeadlineIsDueFirstTimesOutAndTheWakeUpLoses() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            loop.runUntilComplete(() -> {
                Waiter w = Waiter.forCaller("test");
                long deadline = loop.time() + 1_000_000;
                AtomicReference<Boolean> wakeWon = new AtomicReference<>();
                // Runs once the task is suspended, so after the waiter's timer, with the same deadline.
                loop.callSoon(() -> loop.callAt(deadline, () -> wakeWon.set(w.wake())));
                assertThat(w.await(deadline)).isFalse();
                assertThat(w.gaveUp()).isTrue();
                assertThat(w.wasWoken()).isFalse();
                settle();
                assertThat(wakeWon.get()).isFalse();
                assertThat(w.wasWoken()).isFalse();
                return null;
            });
        }
    }

    @Test
    void aTaskWithADeadlineAlreadyPastTimesOut() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            loop.runUntilComplete(() -> {
                Waiter w = Waiter.forCaller("test");
                assertThat(w.await(loop.time() - 1)).isFalse();
                assertThat(w.gaveUp()).isTrue();
                assertThat(w.wake()).isFalse();
                return null;
            });
        }
    }

    @Test
    void aTaskWokenThenCancelledInTheSameTurnIsCancelledButSaysItWasWoken() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            loop.runUntilComplete(() -> {
                AtomicReference<Waiter> ref = new AtomicReference<>();
                Task<Boolean> waiting = Async.spawn(() -> {
                    Waiter w = Waiter.forCaller("test");
                    ref.set(w);
                    return w.await(Long.MAX_VALUE);
                });
                settle();
                Waiter w = ref.get();
                assertThat(w.isPending()).isTrue();
                assertThat(w.wake()).isTrue();
                waiting.cancel();
                assertThatThrownBy(() -> Async.await(waiting)).isInstanceOf(CancelledException.class);
                assertThat(w.wasWoken()).as("its owner must pass the wake-up on").isTrue();
                assertThat(w.gaveUp()).isFalse();
                return null;
            });
        }
    }

    @Test
    void aTaskCancelledThenWokenInTheSameTurnGaveUpAndTheWakeUpLoses() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            loop.runUntilComplete(() -> {
                AtomicReference<Waiter> ref = new AtomicReference<>();
                Task<Boolean> waiting = Async.spawn(() -> {
                    Waiter w = Waiter.forCaller("test");
                    ref.set(w);
                    return w.await(Long.MAX_VALUE);
                });
                settle();
                Waiter w = ref.get();
                waiting.cancel();
                assertThat(w.wake()).isFalse();
                assertThatThrownBy(() -> Async.await(waiting)).isInstanceOf(CancelledException.class);
                assertThat(w.wasWoken()).isFalse();
                assertThat(w.gaveUp()).isTrue();
                return null;
            });
        }
    }

    /**
     * A task waits on a loop in its own thread; one thread wakes it while another cancels it,
     * many times. Each time exactly one of: woken (await returns true), woken but cancelled
     * anyway (wasWoken says so), or cancelled first (the wake-up returns false).
     */
    @Test
    void aTasksWakeUpFromOneThreadRacingItsCancellationFromAnotherHasExactlyOneOutcome() throws Exception {
        int iterations = 400;
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            @SuppressWarnings("unchecked")
            Task<Boolean>[] tasks = new Task[iterations];
            Waiter[] waiters = new Waiter[iterations];
            boolean[] wakeWon = new boolean[iterations];
            int[] outcomes = new int[3];
            race(iterations, List.of(
                    new Role() { // the waker
                        @Override
                        public void prepare(int i) throws Exception {
                            CompletableFuture<Waiter> published = new CompletableFuture<>();
                            CompletableFuture<Task<Boolean>> created = new CompletableFuture<>();
                            bg.loop.callSoonThreadsafe(() -> created.complete(bg.loop.createTask(() -> {
                                Waiter w = Waiter.forCaller("race");
                                published.complete(w);
                                return w.await(Long.MAX_VALUE);
                            })));
                            tasks[i] = created.get(10, TimeUnit.SECONDS);
                            waiters[i] = published.get(10, TimeUnit.SECONDS);
                        }

                        @Override
                        public void run(int i) {
                            wakeWon[i] = waiters[i].wake();
                        }

                        @Override
                        public void check(int i) throws Exception {
                            Waiter w = waiters[i];
                            Boolean result;
                            try {
                                result = Async.await(tasks[i]);
                            } catch (CancelledException e) {
                                result = null;
                            }
                            if (Boolean.TRUE.equals(result)) {
                                assertThat(wakeWon[i]).isTrue();
                                assertThat(w.wasWoken()).isTrue();
                                outcomes[0]++;
                            } else {
                                assertThat(result).as("iteration %d: with no deadline only a wake-up returns", i).isNull();
                                assertThat(w.wasWoken()).as("iteration %d: cancelled; woken too?", i).isEqualTo(wakeWon[i]);
                                assertThat(w.gaveUp()).isEqualTo(!wakeWon[i]);
                                outcomes[wakeWon[i] ? 1 : 2]++;
                            }
                            assertThat(w.isPending()).isFalse();
                        }
                    },
                    new Role() { // the canceller
                        @Override
                        public void run(int i) {
                            tasks[i].cancel();
                        }
                    }));
            assertThat(outcomes[0] + outcomes[1] + outcomes[2]).isEqualTo(iterations);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** One participant of {@link #race}: each phase runs on its own thread, all threads in step. */
    interface Role {
        default void prepare(int iteration) throws Exception {
        }

        void run(int iteration) throws Exception;

        default void check(int iteration) throws Exception {
        }
    }

    /**
     * Runs each role on its own thread for {@code iterations} rounds; in each round every role
     * prepares, then all run at once (the race), then all check, with a barrier between phases
     * (which also publishes what each phase wrote). The first failure ends every thread.
     */
    static void race(int iterations, List<Role> roles) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(roles.size());
        List<Thread> threads = new ArrayList<>();
        List<CompletableFuture<Void>> outcomes = new ArrayList<>();
        for (int r = 0; r < roles.size(); r++) {
            Role role = roles.get(r);
            CompletableFuture<Void> outcome = new CompletableFuture<>();
            outcomes.add(outcome);
            threads.add(Thread.ofPlatform().name("racer-" + r).start(() -> {
                try {
                    for (int i = 0; i < iterations; i++) {
                        barrier.await(10, TimeUnit.SECONDS);
                        role.prepare(i);
                        barrier.await(10, TimeUnit.SECONDS);
                        role.run(i);
                        barrier.await(10, TimeUnit.SECONDS);
                        role.check(i);
                    }
                    outcome.complete(null);
                } catch (Throwable e) {
                    barrier.reset(); // the others stop too, with BrokenBarrierException
                    outcome.completeExceptionally(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Throwable first = null;
        for (CompletableFuture<Void> o : outcomes) {
            try {
                o.get();
            } catch (ExecutionException e) {
                if (first == null || first instanceof java.util.concurrent.BrokenBarrierException) {
                    first = e.getCause();
                }
            }
        }
        if (first != null) {
            throw new AssertionError("race failed", first);
        }
    }

    /** Waits (without sleeping) until {@code t} is parked on {@code blocker}. */
    static void awaitParkedOn(Thread t, Object blocker) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(LockSupport.getBlocker(t) == blocker && t.getState() == Thread.State.WAITING)) {
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError("thread " + t.getName() + " never parked: " + t.getState());
            }
            Thread.yield();
        }
    }
}
