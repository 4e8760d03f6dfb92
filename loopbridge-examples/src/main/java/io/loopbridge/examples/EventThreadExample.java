package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventThread;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * Python's EventThread: an event loop running forever in its own thread, fed by a
 * synchronous program. {@code submit} is run_coroutine_threadsafe (a future), {@code call} an
 * honest blocking call, the done callback runs when the loop has stopped, and {@code close()}
 * stops it gracefully: work in flight gets a grace period, then is cancelled and cleaned up.
 */
public final class EventThreadExample {
    private EventThreadExample() {
    }

    /** What the main thread got back. */
    public record Outcome(int submitted, int called, String lateTask, boolean doneCallbackRan, boolean closed) {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("EventThreadExample"));
    }

    public static Outcome run(Narrator n) throws Exception {
        CountDownLatch doneCallback = new CountDownLatch(1);
        CompletableFuture<Void> go = new CompletableFuture<>();
        CompletableFuture<String> late;
        EventThread thread = new EventThread("event-thread").start();
        int submitted;
        int called;
        try (thread) {
            thread.addDoneCallback(() -> {
                n.say("Event loop stopped (done callback)");
                doneCallback.countDown();
            });

            CompletableFuture<Integer> fut = thread.submit(() -> {
                Async.await(go); // so the narrative order does not depend on timing
                Async.sleep(Duration.ofMillis(10));
                n.say("Hello from event loop!");
                return 1234;
            });
            n.say("Main thread waiting on coroutine...");
            go.complete(null);
            submitted = Async.await(fut); // the one rule: a plain thread blocks; exceptions come out unwrapped
            n.say("Main thread received: " + submitted);

            called = thread.call(() -> {
                n.say("call() runs this body as a task and the caller waits for it");
                return 6 * 7;
            });
            n.say("call() returned " + called);

            // Still running when close() comes: it gets the grace period, then is cancelled.
            CompletableFuture<Void> started = new CompletableFuture<>();
            late = thread.submit(() -> {
                try {
                    started.complete(null);
                    Async.sleep(Duration.ofHours(1));
                    return "finished";
                } catch (CancelledException e) {
                    n.say("late task cancelled by close() after the grace period; cleaning up");
                    throw e;
                }
            });
            Async.await(started);
            n.say("closing the event thread (grace 200 ms)");
            thread.close(Duration.ofMillis(200));
        }
        String lateOutcome;
        try {
            lateOutcome = Async.await(late);
        } catch (CancellationException e) { // CancelledException, or the JDK's own from the CompletableFuture
            lateOutcome = "cancelled";
        }
        n.say("event thread closed: " + thread.isClosed() + "; late task: " + lateOutcome);
        return new Outcome(submitted, called, lateOutcome, doneCallback.getCount() == 0, thread.isClosed());
    }
}
