package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.AsyncGenerator;
import io.loopbridge.AsyncIterator;
import io.loopbridge.CancelledException;
import io.loopbridge.EventThread;
import io.loopbridge.Threads;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import org.reactivestreams.FlowAdapters;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;

/**
 * Streams of values across the boundary with Reactor, through {@code java.util.concurrent.Flow}
 * (asyncio's {@code async for} and async generators). A Reactive Streams publisher (a
 * {@code Flux}, an R2DBC result) becomes a {@code Flow.Publisher} in one call:
 * {@code JdkFlowAdapter.publisherToFlowPublisher(flux)} (Reactor) or
 * {@code FlowAdapters.toFlowPublisher(publisher)} (the reactive-streams jar, any publisher).
 * <ol>
 *   <li>a {@code Flux} iterated inside a task with {@code Async.iterate}: the task suspends
 *       between values; leaving the loop early cancels the Flux;</li>
 *   <li>the same kind of {@code Flux} consumed from a plain thread with {@code Async.forEach}
 *       (blocks that thread), and a Flux's {@code IOException} caught by its own type;</li>
 *   <li>a loopbridge {@link AsyncGenerator} consumed by Reactor
 *       ({@code JdkFlowAdapter.flowPublisherToFlux}): {@code take(3)} cancels the generator's
 *       body at its next suspension point.</li>
 * </ol>
 */
public final class FlowReactorExample {
    private FlowReactorExample() {
    }

    /** What each part found. */
    public record Result(List<Integer> takenInTask, long sumOnThread, IOException caught,
                         List<String> takenByReactor, Throwable generatorEnd) {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("FlowReactorExample"));
    }

    public static Result run(Narrator n) throws Exception {
        Flux<Integer> squares = Flux.range(1, 1_000).map(i -> i * i);
        Flow.Publisher<Integer> squaresFlow = JdkFlowAdapter.publisherToFlowPublisher(squares);

        try (EventThread et = new EventThread("flow").start()) {
            // 1. In a task: async for, with back-pressure; break cancels the Flux.
            List<Integer> takenInTask = et.call(() -> {
                List<Integer> got = new ArrayList<>();
                try (AsyncIterator<Integer> it = Async.iterate(squaresFlow)) {
                    while (it.hasNext()) {
                        int sq = it.next();
                        if (sq > 50) {
                            break;
                        }
                        got.add(sq);
                    }
                }
                n.say("took " + got + " from a Flux, then left the loop early: the Flux is cancelled");
                return got;
            });

            // 2. On a plain thread: the same call blocks this thread instead. Any Reactive Streams
            //    publisher (R2DBC, MongoDB, ...) goes through the reactive-streams jar's FlowAdapters.
            long[] sum = {0};
            Async.forEach(FlowAdapters.toFlowPublisher(Flux.range(1, 100)), v -> sum[0] += v);
            n.say("summed 1..100 from a Flux with Async.forEach: " + sum[0]);

            IOException caught = null;
            try {
                Async.forEach(JdkFlowAdapter.publisherToFlowPublisher(
                        Flux.concat(Flux.just(1), Flux.error(new IOException("connection reset")))), v -> { });
            } catch (IOException e) { // the Flux's checked exception, unwrapped
                caught = e;
                n.say("the Flux's error arrived as itself: " + e);
            }

            // 3. A generator on the event thread's loop, consumed by Reactor on this thread.
            CompletableFuture<Throwable> generatorEnd = new CompletableFuture<>();
            AsyncGenerator<String> rows = AsyncGenerator.on(et.loop(), out -> {
                try {
                    for (int i = 1; ; i++) {
                        int id = i;
                        String row = Threads.toThread(() -> "row " + id); // a blocking fetch, off the loop
                        out.emit(row); // waits while Reactor has not requested more
                        n.say("emitted " + row);
                    }
                } catch (CancelledException e) {
                    n.say("generator cancelled: Reactor's take(3) has what it wanted");
                    generatorEnd.complete(e);
                    throw e;
                }
            });
            List<String> takenByReactor = JdkFlowAdapter.flowPublisherToFlux(rows).take(3).collectList().block();
            n.say("Reactor collected " + takenByReactor);
            Throwable end = generatorEnd.get();
            return new Result(takenInTask, sum[0], caught, takenByReactor, end);
        }
    }
}
