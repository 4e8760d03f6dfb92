package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class ParkingLotTest {
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    /** A plain thread in line: its waiter, and what its {@link ParkingLot#await} returned or threw. */
    record ThreadInLine(Thread thread, Waiter waiter, CompletableFuture<Boolean> outcome) {
        boolean awaitOutcome() throws Exception {
            return outcome.get(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a thread that joins the line (and is in it when this returns), then waits in it. */
    private static ThreadInLine joinFromThread(ParkingLot lot, SpinLock guard, long deadline, BooleanSupplier stillReady)
            throws Exception {
        CompletableFuture<Waiter> joined = new CompletableFuture<>();
        CompletableFuture<Boolean> outcome = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("in-line-" + THREAD_IDS.incrementAndGet()).start(() -> {
            try {
                Waiter w = Waiter.forCaller("test");
                guard.lock();
                try {
                    lot.join(w);
                } finally {
                    guard.unlock();
                }
                joined.complete(w);
                outcome.complete(lot.await(w, deadline, guard, stillReady));
            } catch (Throwable e) {
                joined.completeExceptionally(e);
                outcome.completeExceptionally(e);
            }
        });
        return new ThreadInLine(t, joined.get(10, TimeUnit.SECONDS), outcome);
    }

    private static List<Waiter> line(ParkingLot lot, SpinLock guard) {
        guard.lock();
        try {
            List<Waiter> all = lot.pollAll();
            all.forEach(lot::join);
            return all;
        } finally {
            guard.unlock();
        }
    }

    /** A waiter of the calling thread that already gave up (its deadline passed), still in no line. */
    private static Waiter gaveUp() throws Exception {
        Waiter w = Waiter.forCaller("test");
        assertThat(w.await(System.nanoTime() - 1)).isFalse();
        return w;
    }

    // ---------------------------------------------------------------- plain threads

    @Test
    void wakeOneWakesTheWaitersInTheOrderTheyJoined() throws Exception {
        ParkingLot lot = new ParkingLot();
        SpinLock guard = new SpinLock();
        List<ThreadInLine> inLine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inLine.add(joinFromThread(lot, guard, Long.MAX_VALUE, () -> false));
        }
        assertThat(line(lot, guard)).containsExactlyElementsOf(inLine.stream().map(ThreadInLine::waiter).toList());
        for (int k = 0; k < inLine.size(); k++) {
            lot.wakeOne(guard);
            for (int j = 0; j < inLine.size(); j++) {
                assertThat(inLine.get(j).waiter().wasWoken()).as("after %d wake-ups, waiter %d", k + 1, j).isEqualTo(j <= k);
            }
            assertThat(lot.size()).isEqualTo(inLine.size() - k - 1);
        }
        for (ThreadInLine t : inLine) {
            assertThat(t.awaitOutcome()).isTrue();
            t.thread().join();
        }
        lot.wakeOne(guard); // nobody left: nothing happens
        assertThat(lot.isEmpty()).isTrue();
    }

    @Test
    void aWaiterWhoseDeadlinePassesLeavesTheLineAndTheOthersKeepTheirPlaces() throws Exception {
        ParkingLot lot = new ParkingLot();
        SpinLock guard = new SpinLock();
        Waiter before = Waiter.forCaller("before");
        Waiter me = Waiter.forCaller("me");
        Waiter after = Waiter.forCaller("after");
        guard.lock();
        try {
            lot.join(before);
            lot.join(me);
            lot.join(after);
        } finally {
            guard.unlock();
        }
        assertThat(lot.await(me, System.nanoTime() - 1, guard, () -> true)).isFalse();
        assertThat(me.gaveUp()).isTrue();
        assertThat(line(lot, guard)).containsExactly(before, after);
        assertThat(before.isPending()).as("a waiter that gave up unwoken passes nothing on").isTrue();
    }

    @Test
    void anInterruptedWaiterLeavesTheLineAndTheInterruptIsThrown() throws Exception {
        ParkingLot lot = new ParkingLot();
        SpinLock guard = new SpinLock();
        Waiter other = Waiter.forCaller("other");
        Waiter me = Waiter.forCaller("me");
        guard.lock();
        try {
            lot.join(me);
            lot.join(other);
        } finally {
            guard.unlock();
        }
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> lot.await(me, Long.MAX_VALUE, guard, () -> true)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
        assertThat(line(lot, guard)).containsExactly(other);
        assertThat(other.isPending()).isTrue();
    }

    @Test
    void wakeOneSkipsWaitersThatGaveUpWhileStillInLine() throws Exception {
        ParkingLot lot = new ParkingLot();
        SpinLock guard = new SpinLock();
        Waiter gone1 = gaveUp();
        Waiter gone2 = gaveUp();
        guard.lock();
        try {
            lot.join(gone1); // gave up, not out of line yet (as a waiter between its timeout and its leaving)
            lot.join(gone2);
        } finally {
            guard.unlock();
        }
        ThreadInLine live = joinFromThread(lot, guard, Long.MAX_VALUE, () -> false);
        ThreadInLine next = joinFromThread(lot, guard, Long.MAX_VALUE, () -> false);
        lot.wakeOne(guard);
        assertThat(live.awaitOutcome()).isTrue();
        assertThat(gone1.wasWoken()).isFalse();
        assertThat(gone2.wasWoken()).isFalse();
        assertThat(next.waiter().isPending()).as("one wake-up, one waiter").isTrue();
        assertThat(line(lot, guard)).containsExactly(next.waiter());
        lot.wakeOne(guard);
        assertThat(next.awaitOutcome()).isTrue();
        live.thread().join();
        next.thread().join();
    }

    @Test
    void wakeDeliversToTheFirstOrElseToTheNextThatStillWaits() throws Exception {
        ParkingLot lot = new ParkingLot();
        SpinLock guard = new SpinLock();
        ThreadInLine live = joinFromThread(lot, guard, Long.MAX_VALUE, () -> false);
        Waiter gone = gaveUp();
        lot.wake(gone, guard); // taken out of line by the caller, gave up meanwhile: the next one gets it
        assertThat(live.awaitOutcome()).isTrue();
        assertThat(lot.isEmpty()).isTrue();
        lot.wake(null, guard); // nobody to wake
        live.thread().join();
    }

    @Test
    void wakeAllWakesEveryoneStillWaitingAndEmptiesTheLine() throws Exception {
        ParkingLot lot = new ParkingLot();
        SpinLock guard = new SpinLock();
        List<ThreadInLine> inLine = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inLine.add(joinFromThread(lot, guard, Long.MAX_VALUE, () -> false));
        }
        Waiter gone = gaveUp();
        guard.lock();
        try {
            lot.join(gone);
        } finally {
            guard.unlock();
        }
        lot.wakeAll(guard);
        assertThat(lot.isEmpty()).isTrue();
        for (ThreadInLine t : inLine) {
            assertThat(t.awaitOutcome()).isTrue();
            t.thread().join();
        }
        assertThat(gone.wasWoken()).isFalse();
    }

    // ---------------------------------------------------------------- the loop-confined helpers

    @Test
    void hasLiveWaiterCountsWokenWaitersButNotThoseThatGaveUp() throws Exception {
        ParkingLot lot = new ParkingLot();
        assertThat(lot.hasLiveWaiter()).isFalse();
        lot.join(gaveUp());
        assertThat(lot.hasLiveWaiter()).isFalse();
        Waiter woken = Waiter.forCaller("test");
        woken.wake();
        lot.join(woken);
        assertThat(lot.hasLiveWaiter()).as("a woken waiter is about to act").isTrue();
    }

    @Test
    void wakeFirstPendingAndWakePendingWakeInLineOrderAndLeaveTheWaitersInLine() throws Exception {
        ParkingLot lot = new ParkingLot();
        Waiter gone = gaveUp();
        List<Waiter> pending = new ArrayList<>();
        lot.join(gone);
        for (int i = 0; i < 5; i++) {
            Waiter w = Waiter.forCaller("test");
            pending.add(w);
            lot.join(w);
        }
        assertThat(lot.wakeFirstPending()).isTrue();
        assertThat(pending.get(0).wasWoken()).isTrue();
        assertThat(pending.get(1).isPending()).isTrue();
        assertThat(lot.size()).as("they leave on their own when they run").isEqualTo(6);

        assertThat(lot.wakePending(2)).isEqualTo(2);
        assertThat(pending.stream().map(Waiter::wasWoken).toList()).containsExactly(true, true, true, false, false);
        assertThat(lot.wakePending(10)).isEqualTo(2);
        assertThat(lot.wakeFirstPending()).isFalse();
        assertThat(lot.wakePending(1)).isZero();
        assertThat(gone.wasWoken()).isFalse();
        assertThat(lot.size()).isEqualTo(6);
    }

    // ---------------------------------------------------------------- tasks: woken, then leaving anyway

    /** Tasks {@code a} then {@code b} wait in {@code lot}; returns them and their waiters once both are in line. */
    private record TwoInLine(Task<Boolean> a, Task<Boolean> b, Waiter wa, Waiter wb) {
    }

    private static TwoInLine twoTasksInLine(ParkingLot lot, BooleanSupplier stillReady) throws Exception {
        List<Waiter> waiters = new ArrayList<>();
        List<Task<Boolean>> tasks = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            tasks.add(Async.spawn(() -> {
                Waiter w = Waiter.forCaller("test");
                waiters.add(w);
                lot.join(w);
                return lot.await(w, Long.MAX_VALUE, ParkingLot.UNGUARDED, stillReady);
            }));
        }
        settle();
        assertThat(waiters).hasSize(2);
        return new TwoInLine(tasks.get(0), tasks.get(1), waiters.get(0), waiters.get(1));
    }

    @Test
    void aTaskWokenThenCancelledPassesTheWakeUpOnWhenTheConditionStillHolds() throws Exception {
        PrimitiveTesting.onLoop(() -> {
            ParkingLot lot = new ParkingLot();
            TwoInLine two = twoTasksInLine(lot, () -> true);
            lot.wakeOne(ParkingLot.UNGUARDED);
            two.a().cancel(); // woken, then cancelled before it ran
            assertThatThrownBy(() -> Async.await(two.a())).isInstanceOf(CancelledException.class);
            assertThat(two.wa().wasWoken()).isTrue();
            assertThat(two.wb().wasWoken()).as("the next waiter got the wake-up").isTrue();
            assertThat(Async.await(two.b())).isTrue();
            assertThat(lot.isEmpty()).isTrue();
            return null;
        });
    }

    @Test
    void aTaskWokenThenCancelledKeepsTheWakeUpWhenTheConditionNoLongerHolds() throws Exception {
        PrimitiveTesting.onLoop(() -> {
            ParkingLot lot = new ParkingLot();
            AtomicBoolean ready = new AtomicBoolean(true);
            TwoInLine two = twoTasksInLine(lot, ready::get);
            lot.wakeOne(ParkingLot.UNGUARDED);
            two.a().cancel();
            ready.set(false); // someone took what the wake-up announced
            assertThatThrownBy(() -> Async.await(two.a())).isInstanceOf(CancelledException.class);
            settle();
            assertThat(two.wb().isPending()).as("nothing to pass on: the next waiter keeps waiting").isTrue();
            assertThat(lot.size()).isEqualTo(1);
            lot.wakeOne(ParkingLot.UNGUARDED);
            assertThat(Async.await(two.b())).isTrue();
            return null;
        });
    }

    @Test
    void aTaskCancelledBeforeItsWakeUpLeavesTheLineAndTheWakeUpGoesToTheNext() throws Exception {
        PrimitiveTesting.onLoop(() -> {
            ParkingLot lot = new ParkingLot();
            TwoInLine two = twoTasksInLine(lot, () -> true);
            two.a().cancel();
            lot.wakeOne(ParkingLot.UNGUARDED); // a gave up, still in line until it runs: skipped
            assertThat(two.wa().gaveUp()).isTrue();
            assertThat(two.wb().wasWoken()).isTrue();
            assertThatThrownBy(() -> Async.await(two.a())).isInstanceOf(CancelledException.class);
            assertThat(Async.await(two.b())).isTrue();
            assertThat(lot.isEmpty()).isTrue();
            return null;
        });
    }

    @Test
    void aTaskThatTimesOutLeavesTheLineWithoutPassingAnythingOn() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            loop.runUntilComplete(() -> {
                ParkingLot lot = new ParkingLot();
                Waiter other = Waiter.forCaller("other");
                Waiter me = Waiter.forCaller("me");
                lot.join(me);
                lot.join(other);
                assertThat(lot.await(me, loop.time() + 1_000_000, ParkingLot.UNGUARDED, () -> true)).isFalse();
                assertThat(me.gaveUp()).isTrue();
                assertThat(other.isPending()).isTrue();
                assertThat(lot.first()).isSameAs(other);
                assertThat(lot.size()).isEqualTo(1);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- stress

    /**
     * A queue built as the library's blocking structures are: a spin lock, a line of takers,
     * and wake-ups that are signals (a woken taker re-checks, and may queue again).
     */
    static final class SignalQueue {
        final SpinLock lock = new SpinLock();
        final ParkingLot takers = new ParkingLot();
        final ArrayDeque<Integer> items = new ArrayDeque<>();

        void put(int item) {
            Waiter wake;
            lock.lock();
            try {
                items.addLast(item);
                wake = takers.poll();
            } finally {
                lock.unlock();
            }
            takers.wake(wake, lock);
        }

        /** The next item, or null when {@code timeoutNanos} (-1: none) passed first. */
        Integer take(long timeoutNanos) throws Exception {
            Waiter me = Waiter.forCaller("SignalQueue.take");
            long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : me.now() + timeoutNanos;
            while (true) {
                lock.lock();
                try {
                    Integer item = items.pollFirst();
                    if (item != null) {
                        return item;
                    }
                    if (deadline != Long.MAX_VALUE && me.now() - deadline >= 0) {
                        return null;
                    }
                    takers.join(me);
                } finally {
                    lock.unlock();
                }
                takers.await(me, deadline, lock, () -> !items.isEmpty());
                me = Waiter.forCaller("SignalQueue.take"); // a waiter waits once
            }
        }
    }

    /**
     * Producers put numbered items; consumer threads and consumer tasks take them, some with
     * short timeouts, while consumer threads are interrupted and consumer tasks cancelled at
     * random. Every item must be taken exactly once, and every consumer must get its end
     * marker: a lost wake-up leaves a consumer waiting forever with items queued.
     */
    @Test
    void manyProducersAndConsumersWithTimeoutsInterruptsAndCancellationsLoseNoItemAndNoWakeUp() throws Exception {
        int producers = 2;
        int perProducer = 2_000;
        int consumerThreads = 3;
        int consumerTasks = 2;
        int consumers = consumerThreads + consumerTasks;
        SignalQueue q = new SignalQueue();
        AtomicIntegerArray taken = new AtomicIntegerArray(producers * perProducer);
        AtomicInteger interruptsSeen = new AtomicInteger();
        AtomicBoolean stopDisturbing = new AtomicBoolean();
        CountDownLatch consumersDone = new CountDownLatch(consumers);
        List<CompletableFuture<Void>> outcomes = new ArrayList<>();
        AtomicReferenceArray<String> doing = new AtomicReferenceArray<>(consumers);

        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < consumerThreads; c++) {
                CompletableFuture<Void> outcome = new CompletableFuture<>();
                outcomes.add(outcome);
                long seed = c;
                int id = c;
                threads.add(Thread.ofPlatform().name("consumer-" + c).start(() -> {
                    try {
                        consume(q, taken, new Random(seed), interruptsSeen, doing, id);
                        outcome.complete(null);
                    } catch (Throwable e) {
                        outcome.completeExceptionally(e);
                    } finally {
                        consumersDone.countDown();
                    }
                }));
            }
            List<Task<Void>> tasks = new ArrayList<>();
            CountDownLatch tasksStarted = new CountDownLatch(consumerTasks);
            for (int c = 0; c < consumerTasks; c++) {
                CompletableFuture<Void> outcome = new CompletableFuture<>();
                outcomes.add(outcome);
                long seed = 100 + c;
                int id = consumerThreads + c;
                CompletableFuture<Task<Void>> created = new CompletableFuture<>();
                bg.loop.callSoonThreadsafe(() -> created.complete(bg.loop.createTask(() -> {
                    tasksStarted.countDown();
                    try {
                        consume(q, taken, new Random(seed), interruptsSeen, doing, id);
                        outcome.complete(null);
                    } catch (Throwable e) {
                        outcome.completeExceptionally(e);
                    } finally {
                        consumersDone.countDown();
                    }
                    return null;
                })));
                tasks.add(created.get(10, TimeUnit.SECONDS));
            }
            // A task cancelled before its first step never runs its body (as in asyncio), so it would
            // never take its end marker: the disturber starts once every consumer task is running.
            assertThat(tasksStarted.await(10, TimeUnit.SECONDS)).as("consumer tasks started").isTrue();
            Thread disturber = Thread.ofPlatform().name("disturber").start(() -> {
                Random rnd = new Random(42);
                while (!stopDisturbing.get()) {
                    int victim = rnd.nextInt(consumers);
                    if (victim < consumerThreads) {
                        threads.get(victim).interrupt();
                    } else {
                        tasks.get(victim - consumerThreads).cancel();
                    }
                    for (int s = rnd.nextInt(2_000); s > 0 && !stopDisturbing.get(); s--) {
                        Thread.onSpinWait();
                    }
                }
            });
            List<Thread> producing = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int base = p * perProducer;
                Random rnd = new Random(1000 + p);
                CompletableFuture<Void> outcome = new CompletableFuture<>();
                outcomes.add(outcome);
                producing.add(Thread.ofPlatform().name("producer-" + p).start(() -> {
                    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    for (int i = 0; i < perProducer; i++) {
                        q.put(base + i);
                        // Often wait for the item to be taken, so that consumers keep going back to waiting.
                        boolean waitForIt = rnd.nextBoolean();
                        while (waitForIt && taken.get(base + i) == 0) {
                            if (System.nanoTime() - giveUp > 0) {
                                outcome.completeExceptionally(new AssertionError("item " + (base + i)
                                        + " still not taken: the consumers wait with an item queued"));
                                return;
                            }
                            Thread.yield();
                        }
                    }
                    outcome.complete(null);
                }));
            }
            try {
                for (Thread t : producing) {
                    t.join();
                }
                for (int c = 0; c < consumers; c++) {
                    q.put(-1); // one end marker each
                }
                boolean finished = consumersDone.await(20, TimeUnit.SECONDS);
                assertThat(finished).as("every consumer got its end marker (none waits with items queued); %s",
                        finished ? "" : stuck(q, doing, threads, tasks)).isTrue();
            } finally {
                stopDisturbing.set(true);
                disturber.join();
                if (consumersDone.getCount() > 0) {
                    for (int c = 0; c < consumers; c++) {
                        q.put(-1); // a failed run: end the consumers still waiting, so that no thread is left
                    }
                }
                for (Thread t : threads) {
                    t.join();
                }
                for (Task<Void> t : tasks) {
                    try {
                        Async.await(t);
                    } catch (CancelledException e) {
                        // a cancellation that arrived after its last take is raised at its end: fine here
                    }
                }
            }
            for (CompletableFuture<Void> o : outcomes) {
                o.get(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < taken.length(); i++) {
                assertThat(taken.get(i)).as("item %d taken", i).isEqualTo(1);
            }
            assertThat(q.items).isEmpty();
            assertThat(q.takers.isEmpty()).isTrue();
        }
    }

    /** What each consumer, the queue and its line were doing when the consumers did not all finish. */
    private static String stuck(SignalQueue q, AtomicReferenceArray<String> doing, List<Thread> threads,
            List<Task<Void>> tasks) {
        StringBuilder sb = new StringBuilder("consumers: ").append(doing);
        q.lock.lock();
        try {
            sb.append("; queued: ").append(q.items).append("; in line: ").append(q.takers.size());
            Waiter w = q.takers.first();
            if (w != null) {
                sb.append("; first [").append(w.getClass().getSimpleName()).append(" pending=").append(w.isPending())
                        .append(" woken=").append(w.wasWoken()).append(" gaveUp=").append(w.gaveUp()).append(']');
            }
        } finally {
            q.lock.unlock();
        }
        for (Thread t : threads) {
            sb.append("\n").append(t).append(' ').append(t.getState());
            for (StackTraceElement e : t.getStackTrace()) {
                sb.append("\n    at ").append(e);
            }
        }
        for (Task<Void> t : tasks) {
            sb.append("\n").append(t); // a task that never started has an empty stack
            for (StackTraceElement e : t.stack()) {
                sb.append("\n    at ").append(e);
            }
        }
        return sb.toString();
    }

    /** Takes until the end marker; retries after timeouts, interrupts and cancellations. */
    private static void consume(SignalQueue q, AtomicIntegerArray taken, Random rnd, AtomicInteger interruptsSeen,
            AtomicReferenceArray<String> doing, int id) throws Exception {
        while (true) {
            Integer item;
            try {
                doing.set(id, "taking");
                item = q.take(rnd.nextInt(3) == 0 ? -1 : rnd.nextInt(50_000));
            } catch (InterruptedException e) {
                doing.set(id, "interrupted");
                interruptsSeen.incrementAndGet();
                continue;
            } catch (CancelledException e) {
                doing.set(id, "cancelled");
                Async.currentTask().orElseThrow().uncancel();
                continue;
            }
            if (item == null) {
                doing.set(id, "timed out");
                continue; // timed out
            }
            doing.set(id, "took " + item);
            if (item < 0) {
                Thread.interrupted(); // a late interrupt is not this consumer's business any more
                doing.set(id, "done");
                return;
            }
            if (taken.incrementAndGet(item) != 1) {
                throw new AssertionError("item " + item + " taken twice");
            }
        }
    }
}
