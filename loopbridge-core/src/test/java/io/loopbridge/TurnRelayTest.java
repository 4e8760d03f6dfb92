package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * PORTABLE mode's relay of the loop's turn: a task whose step ends runs the loop on (its
 * callbacks, waits and next iterations) on its own thread and hands the turn to the next
 * task's thread, or home when the turn ends. The loop must look exactly as if one thread ran
 * it: callbacks in FIFO order, each step once, stop and interrupts honoured.
 */
class TurnRelayTest {

    private static EventLoop portableLoop(String name) {
        return EventLoop.builder().name(name).taskMode(TaskMode.PORTABLE).build();
    }

    /** Callbacks and task steps of one iteration run in the order scheduled, whichever thread holds the turn. */
    @Test
    void callbacksAndStepsRunInFifoOrderAcrossRelays() throws Exception {
        try (EventLoop loop = portableLoop("relay-fifo")) {
            List<String> order = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                List<Task<?>> tasks = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    loop.callSoon(() -> order.add("cb" + n));
                    tasks.add(loop.createTask(() -> {
                        order.add("t" + n);
                        Async.sleep(java.time.Duration.ZERO); // its next step: after every first step
                        order.add("u" + n);
                        return null;
                    }));
                }
                Async.await(Async.gather(tasks));
                return null;
            });
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                expected.add("cb" + i);
                expected.add("t" + i);
            }
            for (int i = 0; i < 50; i++) {
                expected.add("u" + i);
            }
            assertThat(order).containsExactlyElementsOf(expected);
        }
    }

    /**
     * Many threads complete the futures that many tasks await: every task resumes exactly
     * once with its own value, round after round.
     */
    @Test
    void crossThreadCompletionsResumeEveryTaskExactlyOnce() throws Exception {
        int tasks = 5_000;
        int threads = 4;
        ExecutorService completers = Executors.newFixedThreadPool(threads);
        try (EventLoop loop = portableLoop("relay-completions")) {
            for (int round = 0; round < 10; round++) {
                AtomicIntegerArray resumed = new AtomicIntegerArray(tasks);
                int sum = loop.runUntilComplete(() -> {
                    List<Task<Integer>> ts = new ArrayList<>(tasks);
                    for (int i = 0; i < tasks; i++) {
                        int n = i;
                        ts.add(loop.createTask(() -> {
                            CompletableFuture<Integer> f = new CompletableFuture<>();
                            completers.execute(() -> f.complete(n));
                            int got = Async.await(f);
                            resumed.incrementAndGet(got);
                            return got;
                        }));
                    }
                    int s = 0;
                    for (int v : Async.await(Async.gather(ts))) {
                        s += v;
                    }
                    return s;
                });
                assertThat(sum).isEqualTo(tasks * (tasks - 1) / 2);
                for (int i = 0; i < tasks; i++) {
                    assertThat(resumed.get(i)).as("task %d resumed", i).isEqualTo(1);
                }
            }
        } finally {
            completers.shutdown();
            assertThat(completers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** stop() called by a task (whose thread holds the turn) ends runForever after that iteration. */
    @Test
    void stopFromATaskEndsRunForever() throws Exception {
        try (EventLoop loop = portableLoop("relay-stop")) {
            AtomicInteger afterStop = new AtomicInteger();
            loop.createTask(() -> {
                Async.sleep(java.time.Duration.ZERO); // a later step: the task's thread holds the turn by now
                loop.stop();
                loop.callSoon(afterStop::incrementAndGet); // scheduled after stop: the next iteration
                return null;
            });
            loop.runForever();
            assertThat(afterStop.get()).isZero();
            assertThat(loop.isRunning()).isFalse();
            loop.runUntilComplete(() -> null); // the loop runs again, from the callback stop left behind
            assertThat(afterStop.get()).isEqualTo(1);
        }
    }

    /**
     * An interrupt of the thread running the loop reaches the loop while a task's thread holds
     * the turn and waits for work: runForever returns and the interrupt is the caller's again.
     */
    @Test
    void interruptReachesTheLoopWhileATaskHoldsTheTurn() throws Exception {
        for (int round = 0; round < 200; round++) { // the interrupt races the holder's going to sleep
            interruptOnce(round);
        }
    }

    private static void interruptOnce(int round) throws Exception {
        try (EventLoop loop = portableLoop("relay-interrupt-" + round)) {
            CountDownLatch parked = new CountDownLatch(1);
            AsyncEvent never = new AsyncEvent();
            Task<?> waiter = loop.createTask(() -> {
                Async.sleep(java.time.Duration.ZERO);
                loop.callSoon(parked::countDown); // runs on this task's thread, once it holds the turn
                never.await();
                return null;
            });
            AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
            Thread runner = Thread.ofPlatform().name("relay-interrupt-runner").start(() -> {
                loop.runForever();
                interruptedAfter.set(Thread.interrupted());
            });
            assertThat(parked.await(10, TimeUnit.SECONDS)).isTrue();
            runner.interrupt();
            runner.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(runner.isAlive()).as("round %d: runForever returned", round).isFalse();
            assertThat(interruptedAfter.get()).isTrue();
            assertThat(waiter.isDone()).isFalse();
        }
    }

    private static void suspendHere(AsyncEvent go) throws Exception {
        go.await();
    }

    /**
     * A suspended task's stack is where it suspended, even while its thread runs the loop's
     * callbacks for it (here: the very callback that asks).
     */
    @Test
    void aSuspendedTasksStackIsWhereItSuspendedWhileItsThreadRunsTheLoop() throws Exception {
        try (EventLoop loop = portableLoop("relay-stack")) {
            AtomicReference<List<StackTraceElement>> seen = new AtomicReference<>();
            AtomicReference<Thread> askedOn = new AtomicReference<>();
            loop.runUntilComplete(() -> {
                AsyncEvent go = new AsyncEvent();
                AtomicReference<Task<?>> self = new AtomicReference<>();
                Task<?> t = loop.createTask(() -> {
                    Task<?> me = self.get();
                    loop.callSoon(() -> {
                        askedOn.set(Thread.currentThread());
                        seen.set(me.stack());
                        go.set();
                    });
                    suspendHere(go);
                    return null;
                });
                self.set(t);
                Async.await(t);
                return null;
            });
            assertThat(seen.get()).isNotEmpty();
            assertThat(seen.get().get(0).getMethodName()).isEqualTo("suspendHere");
        }
    }
}
