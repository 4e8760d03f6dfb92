package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.AsyncEvent;
import io.loopbridge.BlockingOnLoopException;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Python's ordering lesson: build the worker <em>before</em> the loop, so that shutting it
 * down (which waits for the last image) never runs on the loop. Then the wrong order, built
 * and closed inside the loop, which in asyncio freezes the loop in {@code thread.join()}:
 * here {@link ImageProcessor#close()} waits by the one rule, so inside a task it only
 * suspends that task (the loop runs on), and in a loop callback it is refused at once with
 * {@link BlockingOnLoopException}.
 */
public final class WorkerShutdownOrderExample {
    private WorkerShutdownOrderExample() {
    }

    /** What each of the three orders led to. */
    public record Outcome(String rightOrder, String wrongOrderInTask, String wrongOrderInCallback) {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("WorkerShutdownOrderExample"));
    }

    public static Outcome run(Narrator n) throws Exception {
        return new Outcome(rightOrder(n), wrongOrderInTask(n), wrongOrderInCallback(n));
    }

    /** Python's fix: {@code with ImageProcessor() as worker: asyncio.run(main(worker))}. */
    static String rightOrder(Narrator n) throws Exception {
        CountDownLatch slowImage = new CountDownLatch(1); // the image takes "long": until the loop is gone
        String outcome;
        try (ImageProcessor worker = new ImageProcessor(n, image -> {
            slowImage.await();
            return "processed(" + image + ")";
        })) {
            try {
                Async.run(() -> TaskGroup.run(tg -> {
                    tg.spawn("do-something-else", () -> {
                        try {
                            Async.sleep(Duration.ofHours(1));
                        } catch (CancelledException e) {
                            n.say("do-something-else cancelled; it cleans up while the loop still runs");
                            throw e;
                        }
                        return null;
                    });
                    worker.submit("image A");
                    n.say("submitted image A");
                    Async.sleep(Duration.ofMillis(10));
                    n.say("raising: Houston, we have a problem!");
                    throw new IllegalStateException("Houston, we have a problem!");
                }));
                outcome = "no exception?";
            } catch (Exception e) {
                outcome = "loop ended with " + e;
                n.say(outcome);
            }
            n.say("loop closed while the worker still works; only now may its shutdown block (this thread)");
            slowImage.countDown();
        }
        n.say("right order: worker closed after the loop");
        return outcome;
    }

    /** Python's wrong order: the worker built and closed inside the loop, other tasks running. */
    static String wrongOrderInTask(Narrator n) throws Exception {
        return Async.run(() -> {
            AsyncEvent closing = new AsyncEvent();
            CountDownLatch slowImage = new CountDownLatch(1); // released by the other task
            Task<String> other = Async.spawn("other-task", () -> {
                closing.await();
                n.say("other task runs while the worker shuts down: it lets the slow image finish");
                slowImage.countDown();
                return "other task ran";
            });
            try (ImageProcessor worker = new ImageProcessor(n, image -> {
                slowImage.await();
                return "processed(" + image + ")";
            })) {
                worker.submit("image B");
                n.say("leaving the block inside the loop: close() waits for the worker");
                closing.set();
            } // in asyncio: join() freezes the loop, the other task never runs, deadlock
            n.say("worker closed inside a task without blocking the loop");
            return Async.await(other) + " before close() returned";
        });
    }

    /** Worse: closing from a loop callback, where no wait is possible. Refused, not frozen. */
    static String wrongOrderInCallback(Narrator n) throws Exception {
        ImageProcessor[] worker = new ImageProcessor[1];
        try {
            return Async.run(() -> {
                worker[0] = new ImageProcessor(n);
                worker[0].submit("image C");
                EventLoop loop = EventLoop.current();
                LoopFuture<String> outcome = loop.createFuture();
                loop.callSoon(() -> {
                    try {
                        worker[0].close();
                        outcome.complete("close() returned on the loop thread?!");
                    } catch (BlockingOnLoopException e) {
                        n.say("close() in a loop callback refused: " + e.getMessage());
                        outcome.complete("refused: " + e.getMessage());
                    } catch (Exception e) {
                        outcome.completeExceptionally(e);
                    }
                });
                return Async.await(outcome);
            });
        } finally {
            if (worker[0] != null) {
                worker[0].close(); // from the plain thread, after the loop: where a wait is fine
                n.say("worker closed from the main thread after the loop");
            }
        }
    }
}
