package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.shadedtest.io.netty.util.concurrent.EventExecutor;
import io.loopbridge.shadedtest.io.netty.util.concurrent.FastThreadLocalThread;
import io.loopbridge.shadedtest.reactor.core.scheduler.NonBlocking;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Vertx;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Built-in recognition of foreign event-loop threads (no provider added): which threads are
 * Netty's, Vert.x's and Reactor's event loops, which are not, and what the refusal says.
 */
class ForeignEventLoopsTest {

    private static String framework() {
        return ForeignEventLoops.frameworkName(ForeignEventLoops.frameworkOfCurrentThread());
    }

    private static <T> T on(EventExecutorGroup group, Callable<T> body) throws Exception {
        try {
            return group.submit(body).get();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aNettyDefaultEventLoopIsRecognised() throws Exception {
        assertThat(on(new DefaultEventLoop(), ForeignEventLoopsTest::framework)).isEqualTo("Netty");
    }

    @Test
    void aNettyNioEventLoopIsRecognised() throws Exception {
        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        assertThat(on(nio, ForeignEventLoopsTest::framework)).isEqualTo("Netty");
    }

    @Test
    void aNettyEventExecutorIsRecognised() throws Exception {
        assertThat(on(new DefaultEventExecutor(), ForeignEventLoopsTest::framework)).isEqualTo("Netty");
    }

    @Test
    void aNettyLoopOnAPlainThreadFromAnyThreadFactoryIsRecognised() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop(Executors.defaultThreadFactory());
        String[] threadClass = new String[1];
        assertThat(on(loop, () -> {
            threadClass[0] = Thread.currentThread().getClass().getName();
            return framework();
        })).isEqualTo("Netty");
        assertThat(threadClass[0]).isEqualTo(Thread.class.getName());
    }

    @Test
    void nettyThreadsRunningNoEventLoopAreNot() throws Exception {
        // A FastThreadLocalThread that runs no executor (e.g. from Netty's DefaultThreadFactory for a plain pool).
        assertThat(runOn(new Runnable[1], io.netty.util.concurrent.FastThreadLocalThread::new)).isEqualTo("none");
        // A plain thread on which Netty has been used (its thread-local map exists), outside any loop.
        FastThreadLocal<String> ftl = new FastThreadLocal<>();
        Runnable[] slot = new Runnable[1];
        CompletableFuture<String> out = outcomeOf(() -> {
            ftl.set("used");
            return framework();
        }, slot);
        Thread t = Thread.ofPlatform().start(slot[0]);
        t.join();
        assertThat(out.get()).isEqualTo("none");
        assertThat(runOn(new Runnable[1], r -> Thread.ofVirtual().unstarted(r))).isEqualTo("none");
        assertThat(framework()).isEqualTo("none");
    }

    private static <T> CompletableFuture<T> outcomeOf(Callable<T> body, Runnable[] slot) {
        CompletableFuture<T> out = new CompletableFuture<>();
        slot[0] = () -> {
            try {
                out.complete(body.call());
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        };
        return out;
    }

    @Test
    void aVertxEventLoopIsRecognisedAndAWorkerIsNot() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            CompletableFuture<String> onLoop = new CompletableFuture<>();
            vertx.runOnContext(v -> onLoop.complete(framework()));
            assertThat(onLoop.get()).isEqualTo("Vert.x");
            String onWorker = vertx.executeBlocking(ForeignEventLoopsTest::framework).toCompletionStage()
                    .toCompletableFuture().get();
            assertThat(onWorker).isEqualTo("none");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    @Test
    void aShadedNettyIsFoundThroughThePackagePrefixOfTheThreadsClass() throws Exception {
        EventExecutor running = () -> true;
        EventExecutor elsewhere = () -> false;
        assertThat(runOn(new Runnable[1], body -> new FastThreadLocalThread(body, running))).isEqualTo("Netty");
        assertThat(runOn(new Runnable[1], body -> new FastThreadLocalThread(body, elsewhere))).isEqualTo("none");
    }

    /** A thread marked as a Reactor non-blocking thread (here through a relocated copy of the marker). */
    static class ReactorLikeThread extends Thread implements NonBlocking {
        ReactorLikeThread(Runnable body) {
            super(body, "parallel-like-1");
        }
    }

    interface MarkerSubInterface extends NonBlocking {
    }

    static final class ReactorLikeSubThread extends Thread implements MarkerSubInterface {
        ReactorLikeSubThread(Runnable body) {
            super(body, "single-like-1");
        }
    }

    @Test
    void reactorsNonBlockingMarkerIsRecognisedAlsoThroughASubInterface() throws Exception {
        assertThat(runOn(new Runnable[1], ReactorLikeThread::new)).isEqualTo("Reactor");
        assertThat(runOn(new Runnable[1], ReactorLikeSubThread::new)).isEqualTo("Reactor");
    }

    private static String runOn(Runnable[] slot, java.util.function.Function<Runnable, Thread> threads) throws Exception {
        CompletableFuture<String> out = outcomeOf(ForeignEventLoopsTest::framework, slot);
        Thread t = threads.apply(slot[0]);
        t.start();
        t.join();
        return out.get();
    }

    @Test
    void theRefusalNamesTheThreadTheFrameworkAndWhatToDoInstead() throws Exception {
        Throwable netty = on(new DefaultEventLoop(), () -> refusalOf(() -> Async.await(new CompletableFuture<>())));
        assertThat(netty).isInstanceOf(BlockingOnLoopException.class).hasMessageContainingAll(
                "Async.await called on a Netty event-loop thread 'defaultEventLoop", "worker thread", "thenCompose");

        Vertx vertx = Vertx.vertx();
        try {
            CompletableFuture<Throwable> onLoop = new CompletableFuture<>();
            vertx.runOnContext(v -> onLoop.complete(refusalOf(() -> Bridge.runSync(() -> "never"))));
            assertThat(onLoop.get()).isInstanceOf(BlockingOnLoopException.class).hasMessageContainingAll(
                    "Bridge.runSync called on a Vert.x event-loop thread 'vert.x-eventloop-thread-", "executeBlocking");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }

        Throwable reactor = runOnThrowable(ReactorLikeThread::new, () -> Async.sleep(java.time.Duration.ofDays(1)));
        assertThat(reactor).isInstanceOf(BlockingOnLoopException.class).hasMessageContainingAll(
                "Async.sleep called on a Reactor non-blocking scheduler thread 'parallel-like-1'",
                "Schedulers.boundedElastic()");
    }

    private interface Blocking {
        void run() throws Exception;
    }

    private static Throwable refusalOf(Blocking call) {
        try {
            call.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    private static Throwable runOnThrowable(java.util.function.Function<Runnable, Thread> threads, Blocking call)
            throws Exception {
        Runnable[] slot = new Runnable[1];
        CompletableFuture<Throwable> out = outcomeOf(() -> refusalOf(call), slot);
        Thread t = threads.apply(slot[0]);
        t.start();
        t.join();
        return out.get();
    }

    @Test
    void aServiceProviderStillRecognisesThreadsOfOtherFrameworks() throws Exception {
        Throwable refused = runOnThrowable(MarkedThreadDetector.MarkedThread::new,
                () -> Async.await(new CompletableFuture<>()));
        assertThat(refused).isInstanceOf(BlockingOnLoopException.class)
                .hasMessageContaining("Async.await called on " + MarkedThreadDetector.KIND + " thread 'marked-event-loop'");
        // The provider is asked about other threads too, and says no.
        assertThat(runOnThrowable(r -> new Thread(r, "unmarked"), () -> Async.await(CompletableFuture.completedFuture(1))))
                .isNull();
    }

    /**
     * loopbridge loaded by a class loader that sees no Netty (say, a container's): it works on
     * a plain thread, and still refuses a Netty event-loop thread, found through the thread's
     * own class.
     */
    @Test
    void withoutTheFrameworksOnItsClassPathLoopbridgeWorksAndStillFollowsTheThreadsClass() throws Exception {
        URL core = ForeignEventLoops.class.getProtectionDomain().getCodeSource().getLocation();
        URL slf4j = org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader isolated = new URLClassLoader(new URL[]{core, slf4j}, ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> isolated.loadClass("io.netty.util.concurrent.FastThreadLocalThread"))
                    .isInstanceOf(ClassNotFoundException.class);
            Class<?> async = isolated.loadClass("io.loopbridge.Async");
            assertThat(async).isNotSameAs(Async.class);
            Method await = async.getMethod("await", CompletionStage.class);

            assertThat(await.invoke(null, CompletableFuture.completedFuture("plain"))).isEqualTo("plain");

            Object onNetty = on(new DefaultEventLoop(), () -> {
                try {
                    return await.invoke(null, new CompletableFuture<>());
                } catch (InvocationTargetException e) {
                    return e.getCause();
                }
            });
            assertThat(onNetty.getClass().getName()).isEqualTo("io.loopbridge.BlockingOnLoopException");
            assertThat(onNetty.getClass()).isNotSameAs(BlockingOnLoopException.class);
            assertThat((Throwable) onNetty).hasMessageContaining("a Netty event-loop thread");
        }
    }
}
