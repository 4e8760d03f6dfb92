package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.AsyncQueue;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Python's AsyncImageProcessor: the worker thread hands each result back to the loop with
 * {@code callSoonThreadsafe} (never touching the loop-bound queue from its own thread), and
 * tasks await their result on an {@link AsyncQueue}. The worker is built before the loop, so
 * its shutdown never runs on the loop (see {@link WorkerShutdownOrderExample}).
 */
public final class AsyncImageProcessorExample {
    private AsyncImageProcessorExample() {
    }

    /** The async face of an {@link ImageProcessor}; create it inside a task of the loop it serves. */
    static final class AsyncImageProcessor implements AutoCloseable {
        private final ImageProcessor worker;
        private final EventLoop loop = EventLoop.current();
        private final AsyncQueue<String> results = new AsyncQueue<>();
        private final Consumer<String> onProcessed;

        AsyncImageProcessor(ImageProcessor worker, Narrator n) {
            this.worker = worker;
            // Runs on the worker thread: only a thread-safe hand-off to the loop is allowed here.
            this.onProcessed = result -> loop.callSoonThreadsafe(() -> {
                n.say("result " + result + " handed to the loop");
                results.putNowait(result);
            });
            worker.addDoneCallback(onProcessed);
        }

        /**
         * Submits {@code image} and awaits its result. The worker processes items in order and
         * the queue wakes getters first-in first-out, so each caller gets its own result.
         */
        String submit(String image) throws Exception {
            worker.submit(image);
            return results.get();
        }

        /** Unhooks from the worker: the worker outlives this loop. */
        @Override
        public void close() {
            worker.removeDoneCallback(onProcessed);
        }
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("AsyncImageProcessorExample"));
    }

    /** Five tasks submit an image each; returns the results in the order they completed. */
    public static List<String> run(Narrator n) throws Exception {
        try (ImageProcessor sync = new ImageProcessor(n)) { // built before the loop
            List<String> completed = Async.run(() -> {
                try (AsyncImageProcessor worker = new AsyncImageProcessor(sync, n)) {
                    return TaskGroup.run(tg -> {
                        List<Task<String>> tasks = new ArrayList<>();
                        for (int i = 0; i < 5; i++) {
                            String image = "image " + i;
                            tasks.add(tg.spawn("submit-" + i, () -> {
                                n.say("submitting " + image);
                                return worker.submit(image);
                            }));
                        }
                        List<String> out = new ArrayList<>();
                        for (LoopFuture<String> f : Async.asCompleted(tasks)) {
                            String r = Async.await(f);
                            n.say("as completed: " + r);
                            out.add(r);
                        }
                        return out;
                    });
                }
            });
            n.say("loop finished; now the worker is closed, outside the loop");
            return completed;
        }
    }
}
