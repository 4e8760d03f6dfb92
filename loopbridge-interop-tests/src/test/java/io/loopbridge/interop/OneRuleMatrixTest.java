package io.loopbridge.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.lettuce.core.RedisClient;
import io.loopbridge.BlockingOnLoopException;
import io.loopbridge.EventThread;
import io.loopbridge.examples.RedisServer;
import io.loopbridge.test.CheckThreadsPerClass;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import reactor.core.scheduler.Schedulers;

/**
 * The one rule, every blocking entry point × every kind of thread, against the real
 * frameworks and with no provider added: on an event-loop thread of Netty (NIO, default, on a
 * plain ThreadFactory thread), Vert.x, Reactor's parallel scheduler and Lettuce's I/O thread
 * each call is refused at once with a message naming the thread, the framework and what to
 * do instead; on a plain thread, a virtual thread, a Vert.x worker and Reactor's
 * boundedElastic each call waits and returns what it waited for.
 *
 * <p>"At once" is checked without a timer: what each call waits for can finish only when the
 * test opens it, and the test opens it only after the refusal arrived.
 *
 * <p>The frameworks start their threads lazily, in whichever test first needs them: threads are
 * checked after the class.
 */
@CheckThreadsPerClass
class OneRuleMatrixTest {
    /** Only a guard against a call that blocks instead of refusing; never reached when the rule holds. */
    private static final long HANG_GUARD_SECONDS = 30;

    private static RedisServer redis;
    private static RedisClient lettuce;
    private static Vertx vertx;
    private static EventThread target;
    private static ExecutorService pool;
    private static BlockingCall.Factory calls;
    private static List<ThreadKind> kinds;

    @BeforeAll
    static void startTheFrameworks() throws Exception {
        redis = RedisServer.start();
        lettuce = RedisClient.create(redis.uri());
        vertx = Vertx.vertx();
        target = new EventThread("matrix-target").start();
        pool = Executors.newFixedThreadPool(2);
        calls = new BlockingCall.Factory(target, pool);
        kinds = List.of(
                ThreadKind.nettyNio(),
                ThreadKind.nettyDefault(),
                ThreadKind.nettyOnPlainThreads(),
                ThreadKind.vertxEventLoop(vertx),
                ThreadKind.reactor("Reactor Schedulers.parallel()", "parallel-", Schedulers.parallel(), true),
                ThreadKind.reactor("Reactor Schedulers.single()", "single-", Schedulers.single(), true),
                ThreadKind.lettuce(lettuce),
                ThreadKind.plainThread(),
                ThreadKind.virtualThread(),
                ThreadKind.vertxWorker(vertx),
                ThreadKind.reactor("Reactor Schedulers.boundedElastic()", "boundedElastic-", Schedulers.boundedElastic(), false));
    }

    /** Stops what started: a setup that failed part way (no redis-server, say) must not hide its cause behind an NPE. */
    @AfterAll
    static void stopThem() throws Exception {
        if (kinds != null) {
            for (ThreadKind k : kinds) {
                k.close();
            }
        }
        Schedulers.shutdownNow();
        if (target != null) {
            target.close();
        }
        if (pool != null) {
            pool.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
        if (lettuce != null) {
            lettuce.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @TestFactory
    Stream<DynamicContainer> everyBlockingEntryPointOnEveryKindOfThread() {
        return kinds.stream().map(kind -> DynamicContainer.dynamicContainer(
                kind.name + (kind.refused ? ": refused at once" : ": waits and returns"),
                BlockingCall.Factory.ENTRY_POINTS.stream().map(entryPoint -> DynamicTest.dynamicTest(entryPoint,
                        () -> check(kind, calls.make(entryPoint, kind.refused))))));
    }

    /** What a call did on the thread under test, and on which thread. */
    private record Outcome(String thread, Object result, Throwable failure) {
    }

    private static void check(ThreadKind kind, BlockingCall call) throws Exception {
        CompletableFuture<String> where = new CompletableFuture<>();
        CompletableFuture<Outcome> done = kind.submit(() -> {
            String thread = Thread.currentThread().getName();
            where.complete(thread);
            try {
                return new Outcome(thread, call.call(), null);
            } catch (Throwable e) {
                return new Outcome(thread, null, e);
            }
        });
        assertThat(where).as("where " + kind + " ran the call")
                .succeedsWithin(HANG_GUARD_SECONDS, TimeUnit.SECONDS).asString().startsWith(kind.threadPrefix);
        if (kind.refused) {
            Outcome o;
            try {
                o = done.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS); // the gate is still closed
            } catch (TimeoutException e) {
                call.open(); // let the blocked thread go before failing
                throw new AssertionError(call + " blocked " + kind + " instead of refusing", e);
            } finally {
                call.open(); // after the outcome: what it waited for could not have finished before
            }
            assertThat(o.failure()).as(call + " on " + kind).isInstanceOf(BlockingOnLoopException.class);
            assertThat(o.failure().getMessage()).as(call + " on " + kind)
                    .startsWith(call.what + " called on " + kind.framework + " '" + o.thread() + "'")
                    .contains(kind.advice);
            assertThat(call.workStarted).as(call + " on " + kind + ": refused before acting").isFalse();
        } else {
            call.open();
            Outcome o = done.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            if (o.failure() != null) {
                fail(call + " on " + kind + " failed instead of waiting", o.failure());
            }
            assertThat(o.result()).as(call + " on " + kind).isEqualTo(call.expected);
        }
    }
}
