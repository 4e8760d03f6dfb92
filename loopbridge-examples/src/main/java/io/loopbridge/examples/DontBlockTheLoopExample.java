package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.BridgeQueue;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Threads;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Python's "don'ts" about waiting on the loop, each caught at once instead of freezing or
 * deadlocking it. In a loop callback (the loop's own thread, outside any task) every blocking
 * wait is refused with {@link BlockingOnLoopException}: awaiting a future, taking from a
 * {@link BridgeQueue}, {@code join()} on a {@code runCoroutineThreadsafe} future. And the
 * Python's "DON'T call asyncio.run() from async": a nested {@code Async.run} in a task is refused
 * too (just await instead).
 */
public final class DontBlockTheLoopExample {
    private DontBlockTheLoopExample() {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("DontBlockTheLoopExample"));
    }

    /** Each attempted wait and the exception that stopped it ("Type: message"). */
    public static Map<String, String> run(Narrator n) throws Exception {
        Map<String, String> caught = new LinkedHashMap<>();
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            LoopFuture<String> neverDone = loop.createFuture();
            BridgeQueue<String> queue = new BridgeQueue<>(1);
            Map<String, Callable<?>> attempts = new LinkedHashMap<>();
            attempts.put("Async.await in a callback", () -> Async.await(neverDone));
            attempts.put("BridgeQueue.take in a callback", queue::take);
            attempts.put("runCoroutineThreadsafe(...).join() in a callback",
                    () -> Threads.runCoroutineThreadsafe(() -> "x", loop).join());

            LoopFuture<Void> done = loop.createFuture();
            loop.callSoon(() -> {
                for (Map.Entry<String, Callable<?>> a : attempts.entrySet()) {
                    caught.put(a.getKey(), attempt(n, a.getKey(), a.getValue()));
                }
                done.complete(null);
            });
            Async.await(done);

            caught.put("nested Async.run in a task", attempt(n, "nested Async.run in a task", () -> Async.run(() -> "x")));
            neverDone.cancel("example done");
            return null;
        });
        return caught;
    }

    private static String attempt(Narrator n, String what, Callable<?> c) {
        try {
            c.call();
            n.say(what + ": not refused?!");
            return "not refused";
        } catch (Exception e) {
            String s = e.getClass().getSimpleName() + ": " + e.getMessage();
            n.say(what + " -> " + s);
            return s;
        }
    }
}
