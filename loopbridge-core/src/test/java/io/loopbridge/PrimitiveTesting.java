package io.loopbridge;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** Helpers for the tests of the loop-bound primitives and queues. */
final class PrimitiveTesting {
    private PrimitiveTesting() {
    }

    /** Runs {@code body} as the main task of a fresh loop. */
    static <T> T onLoop(Callable<T> body) throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            return loop.runUntilComplete(body);
        }
    }

    /** Lets every task that is ready run (a few loop turns; wake-ups take one turn each). */
    static void settle() throws Exception {
        for (int i = 0; i < 5; i++) {
            Async.checkpoint();
        }
    }

    /** Calls {@code body} on the loop thread of {@code bg}, outside any task, and returns its outcome. */
    static <T> T onLoopThread(TestLoops.Background bg, Callable<T> body) throws Exception {
        CompletableFuture<T> cf = new CompletableFuture<>();
        bg.loop.callSoonThreadsafe(() -> {
            try {
                cf.complete(body.call());
            } catch (Throwable e) {
                cf.completeExceptionally(e);
            }
        });
        return Async.await(cf);
    }
}
