package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.Threads;
import java.util.concurrent.CompletableFuture;

/**
 * Python's "get the running event loop from a sync method": a synchronous endpoint runs on a
 * worker thread (the Python version's "AnyIO worker thread"), where no loop is running. It falls back to
 * the loop reference stored at startup and schedules work on that loop with
 * {@code runCoroutineThreadsafe}, blocking only its own thread; the loop itself sends the
 * blocking part to another worker with {@code toThread}.
 */
public final class StoredLoopExample {
    private StoredLoopExample() {
    }

    /** Stored at startup, as the Python version's global {@code _event_loop}. */
    private static volatile EventLoop storedLoop;

    public static void main(String[] args) throws Exception {
        run(new Narrator("StoredLoopExample"));
    }

    static String blockingOperation(Narrator n, int millis) throws InterruptedException {
        n.say("blocking operation for " + millis + " ms");
        Thread.sleep(millis); // fine: this is a worker thread, not the loop
        return "slept " + millis + " ms";
    }

    /** The sync endpoint: runs on a worker thread. */
    static String syncWithAsyncPattern(Narrator n) throws Exception {
        EventLoop loop = EventLoop.running().orElse(null); // asyncio.get_running_loop()
        n.say("sync endpoint: running loop here? " + (loop != null));
        if (loop == null) {
            loop = storedLoop;
            n.say("falling back to the stored loop '" + loop.name() + "' (running: " + loop.isRunning() + ")");
        }
        CompletableFuture<String> f = Threads.runCoroutineThreadsafe(() -> {
            n.say("scheduled on the stored loop; sending the blocking part to a worker");
            return Threads.toThread(() -> blockingOperation(n, 20));
        }, loop);
        return Async.await(f); // blocks this worker thread, not the loop
    }

    /** Returns the endpoint's result as the async main task received it. */
    public static String run(Narrator n) throws Exception {
        try {
            return Async.run(() -> {
                storedLoop = EventLoop.current();
                n.say("startup: stored the running loop");
                String r = Threads.toThread(() -> syncWithAsyncPattern(n)); // the framework calls the sync endpoint in a worker
                n.say("endpoint returned: " + r);
                return r;
            });
        } finally {
            storedLoop = null;
        }
    }
}
