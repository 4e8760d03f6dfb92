package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every deadlock-prone call, on every kind of thread: refused at once on event-loop threads
 * (ours outside a task, Netty's, Vert.x's), working on a plain thread and inside a task.
 */
class MisuseMatrixTest {

    public interface Greeter {
        String greet(String name) throws IOException;
    }

    public static final class AsyncGreeter {
        public CompletableFuture<String> greet(String name) {
            return CompletableFuture.completedFuture("hi " + name);
        }
    }

    private EventThread et;
    private Greeter greeter;

    @BeforeEach
    void setUp() {
        // Load the detectors (and the frameworks' classes they touch) before anything is timed.
        Async.checkMayBlock("warm-up");
        et = new EventThread("matrix-target").start();
        greeter = SyncFacade.of(Greeter.class, new AsyncGreeter());
    }

    @AfterEach
    void tearDown() {
        et.close();
    }

    /** The names of the calls whose body ran; a refused call must not be among them. */
    private final Set<String> bodiesRun = ConcurrentHashMap.newKeySet();

    private String ran(String call, String result) {
        bodiesRun.add(call);
        return result;
    }

    private Map<String, Callable<Object>> calls() {
        Map<String, Callable<Object>> m = new LinkedHashMap<>();
        m.put("Async.await", () -> Async.await(CompletableFuture.supplyAsync(() -> "done")));
        m.put("EventThread.call", () -> et.call(() -> ran("EventThread.call", "called")));
        m.put("Bridge.runSync", () -> Bridge.runSync(() -> ran("Bridge.runSync", "synced")));
        // Submitting is not refused (it never waits); the join is.
        m.put("runCoroutineThreadsafe.join", () -> Threads.runCoroutineThreadsafe(() -> "joined", et.loop()).join());
        m.put("SyncFacade", () -> greeter.greet("you"));
        return m;
    }

    /** Runs every call where {@code where} runs code, and collects what each did. */
    private interface Where {
        Object run(Callable<Object> call) throws Exception;
    }

    private Map<String, Object> outcomes(Where where) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        for (var e : calls().entrySet()) {
            bodiesRun.clear();
            Object r = where.run(() -> {
                try {
                    return e.getValue().call();
                } catch (Throwable t) {
                    return t;
                }
            });
            if (r instanceof BlockingOnLoopException) {
                // A refused call refuses before it does anything: the body it was given never ran
                // (neither here nor on the target loop, which would have had to be waited for).
                assertThat(bodiesRun).as(e.getKey() + " refused before running its body").doesNotContain(e.getKey());
            }
            out.put(e.getKey(), r);
        }
        return out;
    }

    private static void assertAllRefused(Map<String, Object> outcomes, String kind) {
        outcomes.forEach((call, r) -> assertThat(r).as(call + " on " + kind)
                .isInstanceOf(BlockingOnLoopException.class));
    }

    private static void assertAllSucceeded(Map<String, Object> outcomes, String kind) {
        outcomes.forEach((call, r) -> assertThat(r).as(call + " on " + kind)
                .isNotInstanceOf(Throwable.class).isNotNull());
    }

    @Test
    void refusedOnALoopThreadOutsideATask() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            Map<String, Object> r = outcomes(call -> {
                CompletableFuture<Object> out = new CompletableFuture<>();
                loop.callSoonThreadsafe(() -> {
                    try {
                        out.complete(call.call());
                    } catch (Exception e) {
                        out.complete(e);
                    }
                });
                return out.get();
            });
            assertAllRefused(r, "a loopbridge loop thread");
            assertThat(((Throwable) r.get("Async.await")).getMessage()).contains(loop.name()).contains("task");
        }
    }

    @Test
    void refusedOnANettyEventLoopThread() throws Exception {
        DefaultEventLoop netty = new DefaultEventLoop();
        try {
            Map<String, Object> r = outcomes(call -> netty.submit(call).get());
            assertAllRefused(r, "a Netty event loop");
            assertThat(((Throwable) r.get("Bridge.runSync")).getMessage()).contains("Netty");
        } finally {
            netty.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void refusedOnAVertxEventLoopThread() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Map<String, Object> r = outcomes(call -> {
                CompletableFuture<Object> out = new CompletableFuture<>();
                vertx.runOnContext(v -> {
                    try {
                        out.complete(call.call());
                    } catch (Exception e) {
                        out.complete(e);
                    }
                });
                return out.get();
            });
            assertAllRefused(r, "a Vert.x event loop");
            assertThat(((Throwable) r.get("EventThread.call")).getMessage()).contains("Vert.x");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    @Test
    void workOnAPlainThread() throws Exception {
        assertAllSucceeded(outcomes(Callable::call), "a plain thread");
        Bridge.closeThreadLoop();
    }

    @Test
    void workInsideATask() throws Exception {
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            assertAllSucceeded(outcomes(call -> Threads.runCoroutineThreadsafe(call, loop).get()), "a task");
        }
    }
}
