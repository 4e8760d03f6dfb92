package io.loopbridge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;

/**
 * Static entry points for code running on, or calling into, an event loop: asyncio's
 * {@code run}, {@code await}, {@code sleep}, {@code create_task}, {@code gather},
 * {@code as_completed}, {@code wait}, {@code wait_for}, {@code shield}, {@code timeout} and
 * {@code to_thread}.
 *
 * <h2>The one rule</h2>
 * Every wait ({@link #await}, {@link #sleep}, {@link #waitFor}, and the blocking entry points
 * of other classes) never deadlocks and never silently stalls a loop:
 * <ul>
 *   <li>inside a task of a loop it suspends the task while the loop runs other work;</li>
 *   <li>on a plain thread it blocks that thread;</li>
 *   <li>on a loop's own thread outside any task, or on another framework's event-loop thread
 *       (Netty, Vert.x and Reactor recognised built in; others through a
 *       {@link NonBlockingThreadDetector}), it throws
 *       {@link BlockingOnLoopException} at once.</li>
 * </ul>
 *
 * <h2>Exceptions</h2>
 * What the awaited work threw is what the awaiter catches: never a
 * {@code CompletionException} or {@code ExecutionException} wrapper. Every waiting method
 * declares {@code throws Exception}, as {@link Callable#call()} does, so a caller may
 * {@code catch (IOException e)} from an awaited HTTP call directly. The awaiting caller's
 * frames are attached to the rethrown exception as a suppressed "awaited here" exception.
 * Cancellation arrives as the unchecked {@link CancelledException}; an interrupt of a
 * blocked plain thread as {@link InterruptedException} (interrupt status cleared, as the JDK
 * does).
 *
 * <p>This class is thread-safe; each method says where it may be called.
 */
public final class Async {
    private Async() {
    }

    /**
     * asyncio.run: runs {@code body} as the main task of a new loop in this thread, closes the
     * loop (cancelling leftovers), and returns the result.
     *
     * @throws IllegalStateException if this thread already runs an event loop
     */
    public static <T> T run(Callable<T> body) throws Exception {
        // FAST tasks need a platform carrier: on a virtual thread the loop runs PORTABLE (as Bridge.runSync's does).
        EventLoop.Builder loop = EventLoop.builder();
        if (Thread.currentThread().isVirtual()) {
            loop.taskMode(TaskMode.PORTABLE);
        }
        try (Runner r = new Runner(loop)) {
            return r.run(body);
        }
    }

    /** Waits for {@code stage} by the one rule and returns its result or throws its exception, unwrapped. */
    public static <T> T await(CompletionStage<T> stage) throws Exception {
        Objects.requireNonNull(stage, "stage");
        return Waiting.await(stage, "Async.await");
    }

    /**
     * Checks the one rule without waiting: throws {@link BlockingOnLoopException} if the calling
     * thread is an event-loop thread outside any task (ours or another framework's). Library
     * code calls it before a blocking operation with side effects, so it refuses before acting.
     *
     * @param what the operation, for the message
     */
    public static void checkMayBlock(String what) {
        Waiting.enter(Objects.requireNonNull(what, "what"));
    }

    /** Sleeps: a loop timer inside a task (cancellable), {@link Thread#sleep} on a plain thread. */
    public static void sleep(Duration d) throws Exception {
        Objects.requireNonNull(d, "d");
        Task<?> task = Waiting.enter("Async.sleep");
        if (task == null) {
            Thread.sleep(d);
        } else if (d.isNegative() || d.isZero()) {
            task.checkpoint();
        } else {
            // A waiter nobody wakes: its deadline ends the sleep.
            Waiter w = Waiter.forTask(task);
            w.await(TimerHeap.after(w.now(), TimerHeap.nanos(d)));
        }
    }

    /**
     * Yields to the loop once, letting other ready work run (asyncio's {@code sleep(0)}), and
     * delivers a pending cancellation. Inside a task only; elsewhere a no-op.
     */
    public static void checkpoint() throws Exception {
        Task<?> t = Task.currentOrNull();
        if (t != null) {
            t.checkpoint();
        }
    }

    /** Starts {@code body} as a task of the running loop. */
    public static <T> Task<T> spawn(Callable<T> body) {
        return EventLoop.current().createTask(body);
    }

    /** Starts {@code body} as a named task of the running loop. */
    public static <T> Task<T> spawn(String name, Callable<T> body) {
        return EventLoop.current().createTask(name, body);
    }

    /**
     * Starts {@code body} as a task of the running loop that runs in {@code context} (see
     * {@link EventLoop#createTask(String, Callable, ContextVar.Context)}); {@code name} may be null.
     */
    public static <T> Task<T> spawn(String name, Callable<T> body, ContextVar.Context context) {
        return EventLoop.current().createTask(name, body, context);
    }

    /** The task running this code, if any. */
    public static java.util.Optional<Task<?>> currentTask() {
        return Task.current();
    }

    // ---------------------------------------------------------------- combinators

    /**
     * A future of all results, in the order given (asyncio.gather). It fails with the first
     * exception; a cancelled stage counts as one that threw {@link CancelledException}, and in
     * both cases the other stages keep running. Cancelling the returned future cancels every
     * stage. The stages' loop futures must belong to one loop; with none, the running loop is used.
     */
    public static <T> LoopFuture<List<T>> gather(Collection<? extends CompletionStage<? extends T>> stages) {
        return GatheringFuture.of(null, stages, false);
    }

    /** Varargs form of {@link #gather(Collection)}. */
    @SafeVarargs
    public static <T> LoopFuture<List<T>> gather(CompletionStage<? extends T>... stages) {
        return gather(Arrays.asList(stages));
    }

    /** The outcome of one stage in {@link #gatherSettled}: a value or an exception. */
    public record Settled<T>(T value, Throwable exception) {
        public boolean isSuccess() {
            return exception == null;
        }
    }

    /**
     * asyncio.gather(..., return_exceptions=True): a future of every outcome, in order,
     * exceptions (and cancellations, as {@link CancelledException}) as values.
     */
    public static <T> LoopFuture<List<Settled<T>>> gatherSettled(Collection<? extends CompletionStage<? extends T>> stages) {
        return GatheringFuture.of(null, stages, true);
    }

    /**
     * asyncio.as_completed: futures that complete in the order the given stages finish; the
     * first returned future gets the first outcome, and so on. A stage given twice counts once.
     * (asyncio hands each outcome to whichever of its awaitables is awaited next; here the
     * order is by index, so await the returned futures in order.) An outcome goes to the first
     * returned future not yet done, so one cancelled meanwhile (say by a timeout around its
     * await) loses nothing: the next one gets that outcome. A failure counts as read only when
     * the returned future holding it is read; one nobody reads is reported as never retrieved,
     * as for the stage itself.
     */
    public static <T> List<LoopFuture<T>> asCompleted(Collection<? extends CompletionStage<? extends T>> stages) {
        Objects.requireNonNull(stages, "stages");
        Loop loop = Loop.of(EventLoop.current());
        java.util.Set<CompletionStage<? extends T>> distinct =
                java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<LoopFuture.Relay<T>> slots = new ArrayList<>(stages.size());
        List<LoopFuture<? extends T>> children = new ArrayList<>(stages.size());
        for (CompletionStage<? extends T> s : stages) {
            if (distinct.add(Objects.requireNonNull(s, "a stage is null"))) {
                children.add(LoopFuture.wrap(loop, s));
                slots.add(new LoopFuture.Relay<>(loop));
            }
        }
        int[] next = {0};
        for (LoopFuture<? extends T> c : children) {
            // A listener, not addDoneCallback, which would count every failure as read up front.
            c.addListener(f -> loop.post(new Callback(() -> {
                while (next[0] < slots.size() && !slots.get(next[0]++).take(f)) {
                    // that slot was cancelled: the outcome goes to the next
                }
            }, null)));
        }
        return new ArrayList<>(slots);
    }

    /**
     * asyncio.as_completed iterated with {@code async for}: the given stages themselves, in the
     * order they finish, so the caller knows which one finished (a stage given twice counts once).
     * Each {@code next()} of the iterator returns a finished stage at once, or suspends the calling
     * task until the next one finishes; {@code hasNext()} never waits. The result is its own
     * iterator: a second for-each resumes where the first stopped.
     *
     * <pre>{@code
     * for (Task<Page> t : Async.asCompletedStages(fetches)) {
     *     show(t.name(), Async.await(t));   // already done: await returns at once
     * }
     * }</pre>
     *
     * <p>To bound the iteration, put it in an {@link #timeout(Duration)} block: its expiry arrives
     * at the pending {@code next()} as {@link java.util.concurrent.TimeoutException}, thrown as it
     * is although {@link java.util.Iterator#next()} declares no checked exception (so
     * {@code catch (TimeoutException e)} around the loop works). A {@code next()} that ends with
     * an exception hands out no stage.
     *
     * <p>Needs a running loop; iterate in a task of it (the iteration is confined to that loop).
     * The stages' outcomes are not read: a stage that failed is for the caller to read.
     */
    public static <S extends CompletionStage<?>> Iterable<S> asCompletedStages(Collection<S> stages) {
        Objects.requireNonNull(stages, "stages");
        return new CompletionOrder<>(Loop.of(EventLoop.current()), stages);
    }

    /** When {@link #wait(Collection, Duration, ReturnWhen)} returns (asyncio's {@code return_when}). */
    public enum ReturnWhen {
        /** As soon as any future is done (or cancelled). */
        FIRST_COMPLETED,
        /** As soon as any future fails with an exception (not a cancellation), else when all are done. */
        FIRST_EXCEPTION,
        /** When every future is done. */
        ALL_COMPLETED
    }

    /**
     * What {@link #wait(Collection, Duration, ReturnWhen)} found: the futures done and still
     * pending, each set unmodifiable and in the order the futures were given.
     */
    public record Waited<F>(Set<F> done, Set<F> pending) {
    }

    /**
     * asyncio.wait: suspends the current task until {@code when} is met or {@code timeout}
     * passes (null: no timeout), then returns which of {@code futures} are done and which are
     * pending. It never throws what a future failed with, does not throw on timeout and cancels
     * nothing; cancelling the waiting task leaves the futures running. A future given twice
     * counts once; a stage that is not a {@link LoopFuture} of the running loop is watched
     * through {@link EventLoop#wrap}, and reported done once the wrapped future is.
     *
     * <p>Must be called inside a task.
     *
     * @throws IllegalArgumentException if {@code futures} is empty
     * @throws IllegalStateException    if called outside a task
     * @throws CancelledException       if the waiting task is cancelled
     */
    public static <F extends CompletionStage<?>> Waited<F> wait(Collection<F> futures, Duration timeout,
                                                                ReturnWhen when) throws Exception {
        Objects.requireNonNull(futures, "futures");
        Objects.requireNonNull(when, "when");
        Task<?> task = Task.currentOrNull();
        if (task == null) {
            throw new IllegalStateException("Async.wait(...) must be called inside a task");
        }
        Loop loop = task.loop;
        Map<F, LoopFuture<?>> fs = new LinkedHashMap<>();
        for (F f : futures) {
            fs.putIfAbsent(Objects.requireNonNull(f, "a future is null"), null);
        }
        if (fs.isEmpty()) {
            throw new IllegalArgumentException("Async.wait needs at least one future; the collection is empty");
        }
        fs.replaceAll((f, ignored) -> LoopFuture.wrap(loop, (CompletionStage<?>) f));
        Waiter waiter = Waiter.forTask(task);
        int[] left = {fs.size()};
        // As asyncio's done-callbacks, each completion is counted in a callback of its own on the loop.
        LoopFuture.DoneListener onCompletion = f -> loop.post(new Callback(() -> {
            if (--left[0] <= 0 || when == ReturnWhen.FIRST_COMPLETED
                    || (when == ReturnWhen.FIRST_EXCEPTION && f.isCompletedExceptionally())) {
                waiter.wake();
            }
        }, null));
        for (LoopFuture<?> f : fs.values()) {
            f.addListener(onCompletion);
        }
        try {
            waiter.await(timeout == null ? Long.MAX_VALUE : TimerHeap.after(waiter.now(), TimerHeap.nanos(timeout)));
        } finally {
            for (LoopFuture<?> f : fs.values()) {
                f.removeListener(onCompletion);
            }
        }
        Set<F> done = new LinkedHashSet<>();
        Set<F> pending = new LinkedHashSet<>();
        fs.forEach((f, w) -> (w.isDone() ? done : pending).add(f));
        return new Waited<>(Collections.unmodifiableSet(done), Collections.unmodifiableSet(pending));
    }

    /**
     * asyncio.wait_for: awaits {@code stage} for at most {@code timeout}; on timeout cancels it,
     * waits until it has finished, and throws {@link java.util.concurrent.TimeoutException}. A
     * zero or negative timeout cancels a stage that is not done yet at once; {@code null} waits
     * without a limit.
     */
    public static <T> T waitFor(CompletionStage<T> stage, Duration timeout) throws Exception {
        Objects.requireNonNull(stage, "stage");
        if (timeout == null) {
            return await(stage);
        }
        return Waiting.await(stage, timeout.isNegative() ? 0 : TimerHeap.nanos(timeout), true, "Async.waitFor");
    }

    /**
     * asyncio.shield: a future with {@code stage}'s outcome whose cancellation does not
     * cancel {@code stage}. Needs a running loop.
     */
    public static <T> LoopFuture<T> shield(CompletionStage<T> stage) {
        Loop loop = Loop.of(EventLoop.current());
        LoopFuture<T> inner = LoopFuture.wrap(loop, stage);
        if (inner.isDone()) {
            return inner;
        }
        LoopFuture<T> outer = new LoopFuture<>(loop);
        // The outcome is copied as it is (value, failure or cancellation) unless outer was cancelled
        // first. Then inner is let go: a failure of it that nobody reads is reported like any
        // other unread failure, not hidden by the shield (asyncio 3.12+).
        LoopFuture.DoneListener copy = f -> loop.post(new Callback(() -> {
            if (outer.isCancelled()) {
                if (!f.isCancelled()) {
                    f.markRetrieved(); // done before outer's cancel could let it go (asyncio does the same)
                }
                return;
            }
            f.markRetrieved();
            outer.setOutcome(f.rawOutcome());
        }, null));
        inner.addListener(copy);
        outer.addListener(o -> {
            if (!inner.isDone()) {
                inner.removeListener(copy);
            }
        });
        return outer;
    }

    /**
     * asyncio.timeout: a deadline {@code delay} from now for the rest of a try-with-resources
     * block in the current task; {@code null} sets none (see {@link Timeout#reschedule}).
     */
    public static Timeout timeout(Duration delay) {
        return Timeout.after(delay);
    }

    /**
     * asyncio.timeout_at: as {@link #timeout(Duration)} with an absolute deadline on the loop's
     * clock ({@link EventLoop#time()}); a deadline already past expires at the next suspension point.
     */
    public static Timeout timeoutAt(long deadlineNanos) {
        return Timeout.at(deadlineNanos);
    }

    // ---------------------------------------------------------------- streams of values (java.util.concurrent.Flow)

    /**
     * asyncio's {@code async for} over a {@link java.util.concurrent.Flow.Publisher}: subscribes
     * and returns an {@link AsyncIterator} whose takes follow the one rule, with back-pressure
     * (see {@link AsyncIterator#of(java.util.concurrent.Flow.Publisher, int)}). Use it in
     * try-with-resources: leaving the block early cancels the subscription. A Reactive Streams
     * {@code org.reactivestreams.Publisher} (Reactor, R2DBC) is one adapter call away:
     * {@code FlowAdapters.toFlowPublisher(p)} or Reactor's {@code JdkFlowAdapter.publisherToFlowPublisher(p)}.
     */
    public static <T> AsyncIterator<T> iterate(java.util.concurrent.Flow.Publisher<? extends T> publisher) {
        return AsyncIterator.of(publisher);
    }

    /** As {@link #iterate(java.util.concurrent.Flow.Publisher)}, requesting {@code prefetch} values ahead. */
    public static <T> AsyncIterator<T> iterate(java.util.concurrent.Flow.Publisher<? extends T> publisher, int prefetch) {
        return AsyncIterator.of(publisher, prefetch);
    }

    /**
     * Calls {@code action} with every value of {@code publisher}, in order, taking them as
     * {@link #iterate} does; returns when the publisher completes, throws what it failed with
     * (unwrapped), and cancels the subscription if {@code action} throws or the wait is cancelled.
     */
    public static <T> void forEach(java.util.concurrent.Flow.Publisher<? extends T> publisher,
                                   AsyncIterator.Action<? super T> action) throws Exception {
        Objects.requireNonNull(action, "action");
        try (AsyncIterator<T> it = AsyncIterator.of(publisher)) {
            it.forEachRemaining(action);
        }
    }

    /**
     * An async generator on the running loop: the same as {@link AsyncGenerator#of}. Each
     * subscriber runs {@code body} as its own task; {@code out.emit(v)} waits for demand.
     */
    public static <T> AsyncGenerator<T> generate(AsyncGenerator.Body<T> body) {
        return AsyncGenerator.of(body);
    }

    /**
     * asyncio.to_thread: the same as {@link Threads#toThread(Callable)}: runs blocking
     * {@code work} on a worker thread under the loop's default {@link CapacityLimiter}, with the
     * caller's context, and awaits its result. On a plain thread it simply calls {@code work}.
     */
    public static <T> T toThread(Callable<T> work) throws Exception {
        return Threads.toThread(work);
    }
}
