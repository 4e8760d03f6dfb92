package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.BlockingOnLoopException;
import io.loopbridge.Bridge;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import java.time.Duration;

/**
 * Python's honest run helper ({@code run(coro)}: running loop? nest_asyncio; else a
 * per-thread cached loop), as {@link Bridge#runSync}, without nest_asyncio, in its three
 * contexts: a plain main (a loop cached for the thread, reused by the next call), inside a
 * running task (the body runs inline in that task), and a loop callback (a clear refusal
 * instead of a deadlock; {@link Bridge.OnLoop#RUN_IN_WORKER} is the Python version's last resort).
 */
public final class HonestRunExample {
    private HonestRunExample() {
    }

    public record Outcome(String plainFirst, String plainSecond, boolean sameLoopReused, String insideTask,
                          String callbackRefusal, String callbackInWorker) {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("HonestRunExample"));
    }

    /** The "library call" everyone wants to make synchronously: async code inside. */
    static String fetch(Narrator n, String what) throws Exception {
        Async.sleep(Duration.ofMillis(1));
        n.say("fetched " + what);
        return what + " page";
    }

    public static Outcome run(Narrator n) throws Exception {
        try {
            // 1. A plain main: a loop cached for this thread, so the second call reuses it.
            EventLoop[] loops = new EventLoop[2];
            String first = Bridge.runSync(() -> {
                loops[0] = EventLoop.current();
                return fetch(n, "first");
            });
            String second = Bridge.runSync(() -> {
                loops[1] = EventLoop.current();
                return fetch(n, "second");
            });
            n.say("plain thread: got '" + first + "' and '" + second + "', same loop both times: " + (loops[0] == loops[1]));

            // 2. Inside a running task (a notebook, an async test): the body runs inline in it.
            String inside = Async.run(() -> {
                n.say("calling Bridge.runSync inside a task");
                return Bridge.runSync(() -> fetch(n, "inside"));
            });

            // 3. A loop callback: blocking there could never end. Refused, with what to do instead.
            String[] refusal = new String[1];
            String inWorker = Async.run(() -> {
                EventLoop loop = EventLoop.current();
                LoopFuture<String> out = loop.createFuture();
                loop.callSoon(() -> {
                    try {
                        Bridge.runSync(() -> fetch(n, "callback"));
                        out.complete("not refused?!");
                    } catch (BlockingOnLoopException e) {
                        refusal[0] = e.getMessage();
                        n.say("refused in a loop callback: " + e.getMessage());
                        try {
                            // Python's last resort, opted into: a fresh loop in a worker thread; logs how long it blocked.
                            out.complete(Bridge.runSync(() -> fetch(n, "worker"), Bridge.OnLoop.RUN_IN_WORKER));
                        } catch (Exception e2) {
                            out.completeExceptionally(e2);
                        }
                    } catch (Exception e) {
                        out.completeExceptionally(e);
                    }
                });
                return Async.await(out);
            });
            n.say("the opt-in last resort returned '" + inWorker + "'");
            return new Outcome(first, second, loops[0] == loops[1], inside, refusal[0], inWorker);
        } finally {
            Bridge.closeThreadLoop(); // this thread's cached loop; otherwise closed when the thread is collected
        }
    }
}
