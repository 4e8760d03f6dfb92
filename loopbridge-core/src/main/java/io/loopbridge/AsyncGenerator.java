package io.loopbridge;

import java.util.Objects;
import java.util.concurrent.Flow;

/**
 * An async generator (asyncio's {@code async def ... yield}) exposed as a
 * {@link Flow.Publisher}: a body that sends values with a suspending
 * {@link Emitter#emit(Object) emit}, which any Flow subscriber can consume — an
 * {@link AsyncIterator}, Reactor through {@code JdkFlowAdapter.flowPublisherToFlux}, the JDK's
 * {@code HttpRequest.BodyPublishers.fromPublisher}, and so on.
 *
 * <pre>{@code
 * Flow.Publisher<Row> rows = AsyncGenerator.of(out -> {
 *     for (long id = 0; ; id += 100) {
 *         List<Row> page = Async.await(db.page(id, 100));
 *         if (page.isEmpty()) return;             // onComplete
 *         for (Row r : page) out.emit(r);         // waits while the subscriber wants nothing
 *     }
 * });
 * }</pre>
 *
 * <p>Each subscriber gets its own run of the body, as a task of the generator's loop: the loop
 * given to {@link #on(EventLoop, Body)}, or for {@link #of(Body)} the loop running where the
 * generator was created. {@code subscribe} calls {@code onSubscribe} at once, on the calling
 * thread, and starts the body task on the loop (at once from the loop's own thread, else through
 * {@link EventLoop#callSoonThreadsafe}); values come from that task and the terminal signal from
 * the loop once the task is done, so every signal after {@code onSubscribe} is on the loop.
 *
 * <ul>
 *   <li>{@code emit} sends one value when the subscriber has requested one and waits (suspends
 *       the task) while it has not; {@code request(n)} is honoured exactly, and a total of
 *       {@code Long.MAX_VALUE} means unbounded. A body that emits without ever awaiting
 *       something else holds the loop while demand lasts, as an asyncio generator does.</li>
 *   <li>The body returning is {@code onComplete}; the body throwing is {@code onError} with its
 *       exception (a {@link CancelledException} too, e.g. when the loop closes under it).</li>
 *   <li>The subscriber cancelling cancels the body's task: its current or next suspension point,
 *       {@code emit} included, throws {@link CancelledException}, and nothing more is sent. An
 *       exception the body throws after that, other than the cancellation, goes to the loop's
 *       exception handler.</li>
 *   <li>{@code request(n)} with {@code n <= 0} ends the run with {@code onError}
 *       ({@link IllegalArgumentException}, rule 3.9). A subscriber whose {@code onNext} throws
 *       is treated as cancelled (rule 2.13): its exception goes to the loop's exception handler
 *       and {@code emit} throws {@link CancelledException}.</li>
 * </ul>
 *
 * <p>This class is thread-safe: subscribe from any thread. The {@link Emitter} is confined to
 * its body's task.
 *
 * @param <T> the value type
 */
public final class AsyncGenerator<T> implements Flow.Publisher<T> {

    /**
     * The generator's code: sends values with {@code out.emit}; returning completes, throwing fails.
     * Runs once per subscriber, each time as its own task of the generator's loop.
     */
    @FunctionalInterface
    public interface Body<T> {
        void run(Emitter<T> out) throws Exception;
    }

    /** Sends values to one subscriber. Confined to the body's task. */
    public interface Emitter<T> {
        /**
         * Sends {@code value} to the subscriber, first waiting (suspending the task) until the
         * subscriber has requested it.
         *
         * @throws CancelledException    if the subscriber cancelled (or the task was cancelled)
         * @throws NullPointerException  if {@code value} is null (rule 2.13 forbids null values)
         * @throws IllegalStateException if called from outside the body's task
         */
        void emit(T value) throws Exception;
    }

    private final EventLoop loop;
    private final Body<T> body;

    private AsyncGenerator(EventLoop loop, Body<T> body) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.body = Objects.requireNonNull(body, "body");
    }

    /**
     * A generator whose body runs, per subscriber, as a task of the loop running here.
     *
     * @throws IllegalStateException if no loop runs on this thread: use {@link #on(EventLoop, Body)}
     */
    public static <T> AsyncGenerator<T> of(Body<T> body) {
        return new AsyncGenerator<>(EventLoop.current(), body);
    }

    /** A generator whose body runs, per subscriber, as a task of {@code loop}. */
    public static <T> AsyncGenerator<T> on(EventLoop loop, Body<T> body) {
        return new AsyncGenerator<>(loop, body);
    }

    /** The loop the body runs on. */
    public EventLoop loop() {
        return loop;
    }

    /**
     * Starts a run of the body for {@code subscriber}. If the loop is closed, the subscriber
     * gets {@code onError} ({@link IllegalStateException}) after {@code onSubscribe}.
     */
    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscribe(null) breaks Reactive Streams rule 1.9");
        new GeneratorRun<>(loop, body, subscriber).start();
    }

    @Override
    public String toString() {
        return "AsyncGenerator[" + body + " on loop '" + loop.name() + "']";
    }
}
