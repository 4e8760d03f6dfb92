package io.loopbridge.interop;

import io.loopbridge.Async;
import io.loopbridge.Bridge;
import io.loopbridge.BridgeQueue;
import io.loopbridge.CapacityLimiter;
import io.loopbridge.EventThread;
import io.loopbridge.SyncFacade;
import io.loopbridge.Task;
import io.loopbridge.Threads;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One use of a blocking entry point of the one rule, made so that what it waits for can
 * finish only when the test calls {@link #open()}. A refusal observed before {@code open()}
 * therefore came "at once", before the wait could have ended, with no timer involved.
 */
final class BlockingCall {
    /** The entry point, as a test names it. */
    final String entryPoint;
    /** How the refusal message names the call. */
    final String what;
    private final Callable<Object> call;
    private final Opener open;
    /** What the call returns on a thread where blocking is allowed, once opened. */
    final Object expected;
    /** Set when the call's own work started: a refused call must refuse before acting. */
    final AtomicBoolean workStarted = new AtomicBoolean();

    private interface Opener {
        void open() throws Exception;
    }

    private BlockingCall(String entryPoint, String what, Callable<Object> call, Opener open, Object expected) {
        this.entryPoint = entryPoint;
        this.what = what;
        this.call = call;
        this.open = open;
        this.expected = expected;
    }

    /** Makes the call, on the thread under test. */
    Object call() throws Exception {
        return call.call();
    }

    /** Lets what the call waits for finish (from the test's thread). */
    void open() throws Exception {
        open.open();
    }

    @Override
    public String toString() {
        return entryPoint;
    }

    /** The sync face a user writes over an async API. */
    public interface Source {
        String next() throws IOException;
    }

    /** The async API: its result arrives when the gate opens. */
    public static final class AsyncSource {
        private final CompletableFuture<String> gate;

        AsyncSource(CompletableFuture<String> gate) {
            this.gate = gate;
        }

        public CompletableFuture<String> next() {
            return gate;
        }
    }

    /** Makes fresh calls of every blocking entry point; each needs a loop to target and a pool. */
    static final class Factory {
        private final EventThread target;
        private final ExecutorService pool;

        Factory(EventThread target, ExecutorService pool) {
            this.target = target;
            this.pool = pool;
        }

        /** Names of the entry points, in a stable order. */
        static final List<String> ENTRY_POINTS = List.of(
                "Async.await", "Async.waitFor", "Async.sleep", "Async.run", "Async.checkMayBlock", "Bridge.runSync",
                "EventThread.call", "SyncFacade", "SyncFacade with a timeout", "Threads.toThread",
                "Threads.toThread with a limiter", "Threads.runInExecutor", "CapacityLimiter.acquire",
                "LoopFuture.get", "LoopFuture.get(timeout)", "runCoroutineThreadsafe(...).get",
                "runCoroutineThreadsafe(...).get(timeout)", "runCoroutineThreadsafe(...).join",
                "BridgeQueue.take", "BridgeQueue.poll(timeout)", "BridgeQueue.put", "BridgeQueue.offer(timeout)");

        /**
         * A fresh call of {@code entryPoint}. {@code refusalExpected} only picks a sleep long
         * enough that nothing but a refusal can end it before the test does.
         */
        BlockingCall make(String entryPoint, boolean refusalExpected) throws Exception {
            CompletableFuture<String> gate = new CompletableFuture<>();
            Opener openGate = () -> gate.complete("opened");
            return switch (entryPoint) {
                case "Async.await" -> new BlockingCall(entryPoint, "Async.await", () -> Async.await(gate), openGate, "opened");
                case "Async.waitFor" -> new BlockingCall(entryPoint, "Async.waitFor",
                        () -> Async.waitFor(gate, Duration.ofHours(1)), openGate, "opened");
                case "Async.sleep" -> new BlockingCall(entryPoint, "Async.sleep", () -> {
                    Async.sleep(refusalExpected ? Duration.ofDays(1) : Duration.ofMillis(1));
                    return "slept";
                }, () -> { }, "slept");
                case "Async.run" -> started(entryPoint, "Async.run / Runner.run", gate, call -> Async.run(call::awaitGate));
                case "Async.checkMayBlock" -> new BlockingCall(entryPoint, "a library's blocking call", () -> {
                    Async.checkMayBlock("a library's blocking call");
                    return "may block";
                }, () -> { }, "may block");
                case "Bridge.runSync" -> started(entryPoint, "Bridge.runSync", gate, call -> {
                    try {
                        return Bridge.runSync(call::awaitGate);
                    } finally {
                        Bridge.closeThreadLoop(); // the loop it cached for this (pooled) thread
                    }
                });
                case "EventThread.call" -> started(entryPoint, "EventThread.call", gate, call -> target.call(call::awaitGate));
                case "SyncFacade" -> new BlockingCall(entryPoint, "SyncFacade call next",
                        () -> SyncFacade.of(Source.class, new AsyncSource(gate)).next(), openGate, "opened");
                case "SyncFacade with a timeout" -> new BlockingCall(entryPoint, "SyncFacade call next",
                        () -> SyncFacade.of(Source.class, new AsyncSource(gate), Duration.ofHours(1)).next(), openGate, "opened");
                case "Threads.toThread" -> latched(entryPoint, "Threads.toThread", work -> Threads.toThread(work));
                case "Threads.toThread with a limiter" -> latched(entryPoint, "Threads.toThread",
                        work -> Threads.toThread(work, new CapacityLimiter(1)));
                case "Threads.runInExecutor" -> latched(entryPoint, "Threads.runInExecutor",
                        work -> Threads.runInExecutor(pool, work));
                case "CapacityLimiter.acquire" -> {
                    CapacityLimiter limiter = new CapacityLimiter(1);
                    limiter.acquire(); // held by the test until open()
                    yield new BlockingCall(entryPoint, "CapacityLimiter.acquire", () -> {
                        limiter.acquire();
                        limiter.release();
                        return "acquired";
                    }, limiter::release, "acquired");
                }
                case "LoopFuture.get", "LoopFuture.get(timeout)" -> {
                    Task<String> task = target.call(() -> Async.spawn(() -> Async.await(gate)));
                    yield new BlockingCall(entryPoint, "Future.get",
                            entryPoint.equals("LoopFuture.get") ? task::get : () -> task.get(1, TimeUnit.HOURS),
                            openGate, "opened");
                }
                case "runCoroutineThreadsafe(...).get", "runCoroutineThreadsafe(...).get(timeout)",
                     "runCoroutineThreadsafe(...).join" -> {
                    CompletableFuture<String> f = Threads.runCoroutineThreadsafe(() -> Async.await(gate), target.loop());
                    yield switch (entryPoint) {
                        case "runCoroutineThreadsafe(...).get" -> new BlockingCall(entryPoint,
                                "Future.get() of runCoroutineThreadsafe", f::get, openGate, "opened");
                        case "runCoroutineThreadsafe(...).join" -> new BlockingCall(entryPoint,
                                "Future.join() of runCoroutineThreadsafe", f::join, openGate, "opened");
                        default -> new BlockingCall(entryPoint, "Future.get of runCoroutineThreadsafe",
                                () -> f.get(1, TimeUnit.HOURS), openGate, "opened");
                    };
                }
                case "BridgeQueue.take", "BridgeQueue.poll(timeout)" -> {
                    BridgeQueue<String> empty = new BridgeQueue<>(1);
                    yield new BlockingCall(entryPoint, entryPoint.equals("BridgeQueue.take") ? "BridgeQueue.take" : "BridgeQueue.poll",
                            entryPoint.equals("BridgeQueue.take") ? empty::take : () -> empty.poll(Duration.ofHours(1)),
                            () -> empty.put("opened"), "opened");
                }
                case "BridgeQueue.put", "BridgeQueue.offer(timeout)" -> {
                    BridgeQueue<String> full = new BridgeQueue<>(1);
                    full.put("first");
                    boolean put = entryPoint.equals("BridgeQueue.put");
                    yield new BlockingCall(entryPoint, put ? "BridgeQueue.put" : "BridgeQueue.offer", () -> {
                        if (put) {
                            full.put("second");
                            return "added";
                        }
                        return full.offer("second", Duration.ofHours(1)) ? "added" : "not added";
                    }, full::take, "added");
                }
                default -> throw new IllegalArgumentException("no such entry point: " + entryPoint);
            };
        }

        private interface Body {
            Object run(BlockingCall call) throws Exception;
        }

        /** A call whose body awaits the gate; the body marks that it started. */
        private static BlockingCall started(String entryPoint, String what, CompletableFuture<String> gate, Body body) {
            BlockingCall[] self = new BlockingCall[1];
            self[0] = new BlockingCall(entryPoint, what, () -> body.run(self[0]), () -> gate.complete("opened"), "opened");
            self[0].gate = gate;
            return self[0];
        }

        private interface Work {
            Object run(Callable<String> work) throws Exception;
        }

        /** A call whose work waits for a latch the test counts down. */
        private static BlockingCall latched(String entryPoint, String what, Work how) {
            CountDownLatch latch = new CountDownLatch(1);
            BlockingCall[] self = new BlockingCall[1];
            Callable<String> work = () -> {
                self[0].workStarted.set(true);
                latch.await();
                return "worked";
            };
            self[0] = new BlockingCall(entryPoint, what, () -> how.run(work), latch::countDown, "worked");
            return self[0];
        }
    }

    private CompletableFuture<String> gate;

    /** The body of a call that runs code (a task, a loop's body): marks the start, then awaits the gate. */
    String awaitGate() throws Exception {
        workStarted.set(true);
        return Async.await(gate);
    }
}
