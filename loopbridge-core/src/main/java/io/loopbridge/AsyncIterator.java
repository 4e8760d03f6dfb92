package io.loopbridge;

import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.Flow;

/**
 * Values that arrive one by one, taken by the one rule (asyncio's {@code async for}): inside a
 * task each take suspends the task while no value is there, on a plain thread it blocks that
 * thread, and on an event-loop thread outside any task it is refused with
 * {@link BlockingOnLoopException}.
 *
 * <pre>{@code
 * try (AsyncIterator<Row> rows = Async.iterate(publisher)) {
 *     while (rows.hasNext()) {
 *         Row r = rows.next();
 *         if (done(r)) break;          // leaving the block cancels the subscription
 *         use(r);
 *     }
 * }                                    // a publisher's error was thrown by hasNext(), unwrapped
 * Async.forEach(publisher, row -> use(row));   // the same, as one call
 * }</pre>
 *
 * <p>{@link #hasNext()} is the take: it waits for the next value or the end. The end is
 * {@code false} when the source completed, or the source's exception thrown as it is (never
 * wrapped; the taker's frames attached as a suppressed "awaited here" exception, as
 * {@link Async#await} does), once; afterwards {@code hasNext()} returns {@code false}. An
 * exception that ends a wait — a cancellation of the task ({@link CancelledException}), an
 * expired {@link Async#timeout}, an interrupt of a blocked thread — closes the iterator before
 * it propagates, so the source stops. {@link #close()} ends the iteration early; it is
 * idempotent, and after it {@code hasNext()} and {@code next()} throw
 * {@link IllegalStateException}.
 *
 * <p>This is not a {@link java.util.Iterator}: a take may throw the source's checked exception
 * unwrapped, which {@code Iterator.hasNext()} cannot declare.
 *
 * <p>Not thread-safe: one consumer, a task or a thread, takes at a time. The source may deliver
 * from any thread.
 *
 * @param <T> the value type
 */
public interface AsyncIterator<T> extends AutoCloseable {

    /**
     * Subscribes to {@code publisher} with {@link Flow#defaultBufferSize()} values of prefetch:
     * see {@link #of(Flow.Publisher, int)}.
     */
    static <T> AsyncIterator<T> of(Flow.Publisher<? extends T> publisher) {
        return of(publisher, Flow.defaultBufferSize());
    }

    /**
     * Subscribes to {@code publisher} and returns the iterator over what it sends, with
     * back-pressure: demand follows consumption. The first {@link #hasNext()} requests
     * {@code prefetch} values; after that, once the consumer has taken
     * {@code prefetch - prefetch / 4} of them, the next take requests as many again. So the
     * publisher is never more than {@code prefetch} values ahead of the consumer, and values
     * already delivered are taken without suspending. Follows the Reactive Streams rules for a
     * subscriber ({@code java.util.concurrent.Flow}, rules 2.1–2.13): the subscription is cancelled
     * exactly once when the iteration ends early, never after the source finished, and never
     * requested from after it is cancelled; a source that sends more than requested fails the
     * iteration with {@link IllegalStateException}. Close it from the consumer: a {@link #close()}
     * from another task or thread while the consumer waits in {@link #hasNext()} ends that wait
     * with {@link IllegalStateException}.
     *
     * @param prefetch 1 to 1,048,576 values requested ahead
     * @throws BlockingOnLoopException on an event-loop thread outside any task, before subscribing
     */
    static <T> AsyncIterator<T> of(Flow.Publisher<? extends T> publisher, int prefetch) {
        Objects.requireNonNull(publisher, "publisher");
        Async.checkMayBlock("iterating a Flow.Publisher");
        PublisherIterator<T> it = new PublisherIterator<>(publisher, prefetch);
        publisher.subscribe(it);
        return it;
    }

    /**
     * Waits for the next value or the end of the source: true when a value is there to
     * {@link #next()}, false when the source completed.
     *
     * @throws Exception             what the source failed with, unwrapped; or what ended the wait
     *                               ({@link CancelledException}, {@code TimeoutException},
     *                               {@link InterruptedException})
     * @throws IllegalStateException after {@link #close()}
     */
    boolean hasNext() throws Exception;

    /**
     * The next value, waiting for it as {@link #hasNext()} does.
     *
     * @throws NoSuchElementException when the source has completed
     */
    T next() throws Exception;

    /** Ends the iteration: cancels the source unless it has finished. Idempotent; never waits. */
    @Override
    void close();

    /** Calls {@code action} with each remaining value, in order, until the end or an exception. */
    default void forEachRemaining(Action<? super T> action) throws Exception {
        Objects.requireNonNull(action, "action");
        while (hasNext()) {
            action.accept(next());
        }
    }

    /**
     * What to do with each value; may throw any exception, which ends the iteration. Called on the
     * consumer's task or thread, one value at a time.
     */
    @FunctionalInterface
    interface Action<T> {
        void accept(T value) throws Exception;
    }
}
