package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.BridgeQueue;
import io.loopbridge.BridgeQueueClosedException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Python's ImageProcessor: a long-lived worker thread fed by a queue. Two changes from the
 * Python version: the queue is a {@link BridgeQueue}, stopped by {@link BridgeQueue#close()}
 * instead of a {@code None} sentinel (so no item can be mistaken for the stop signal and
 * every item submitted before close is still processed), and {@link #close()} waits for the
 * thread by the one rule ({@link Async#await}) instead of {@code thread.join()}: a plain thread
 * blocks, a task is suspended (its loop runs on), and a loop callback is refused with
 * {@code BlockingOnLoopException} instead of freezing the loop.
 *
 * <p>Thread-safe: submit from any thread or task.
 */
public final class ImageProcessor implements AutoCloseable {
    /** The processing of one image (may block: it runs on the worker thread). */
    @FunctionalInterface
    public interface Step {
        String process(String image) throws Exception;
    }

    private final Narrator narrator;
    private final Step step;
    private final BridgeQueue<String> queue = new BridgeQueue<>(16);
    private final List<Consumer<String>> callbacks = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final Thread thread;

    /** A worker that "processes" an image by tagging it. */
    public ImageProcessor(Narrator narrator) {
        this(narrator, image -> "processed(" + image + ")");
    }

    /** A worker running {@code step} on each image, in its own non-daemon thread "image-worker". */
    public ImageProcessor(Narrator narrator, Step step) {
        this.narrator = narrator;
        this.step = step;
        this.thread = Thread.ofPlatform().name("image-worker").daemon(false).start(this::runForever);
    }

    /** Queues an image (waits, by the one rule, only if 16 are already queued). */
    public void submit(String image) throws Exception {
        queue.put(image);
    }

    /** Runs {@code callback} on the worker thread with each result: keep it short and thread-safe. */
    public void addDoneCallback(Consumer<String> callback) {
        callbacks.add(callback);
    }

    public void removeDoneCallback(Consumer<String> callback) {
        callbacks.remove(callback);
    }

    private void runForever() {
        try {
            while (true) {
                String image = queue.take();
                narrator.say("processing " + image);
                String result = step.process(image);
                for (Consumer<String> c : callbacks) {
                    c.accept(result);
                }
            }
        } catch (BridgeQueueClosedException done) {
            narrator.say("queue closed and drained: worker stops");
        } catch (Exception e) {
            narrator.say("worker failed: " + e);
        } finally {
            finished.complete(null);
        }
    }

    /** True once the worker thread has left its loop. */
    public boolean isFinished() {
        return finished.isDone();
    }

    /**
     * Graceful stop: closes the queue (items already queued are still processed), then waits
     * for the worker by the one rule. Idempotent.
     */
    @Override
    public void close() throws Exception {
        queue.close();
        Async.await(finished);
        thread.join(); // already at its end: returns at once, and never on a loop thread (await refused that)
    }
}
