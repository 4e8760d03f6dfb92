package io.loopbridge.interop;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.scheduler.Scheduler;

/**
 * A kind of thread the one rule is checked on, able to run code on one of its threads: the
 * real event loops of Netty, Vert.x, Reactor and Lettuce (refused), and the threads where
 * blocking is fine (allowed).
 */
abstract class ThreadKind implements AutoCloseable {
    final String name;
    /** Whether the one rule refuses blocking here. */
    final boolean refused;
    /** What the refusal must say: the framework, and what to do instead. */
    final String framework;
    final String advice;
    /** How the framework names the threads of this kind: proof that the code ran where meant. */
    final String threadPrefix;

    ThreadKind(String name, String threadPrefix, boolean refused, String framework, String advice) {
        this.name = name;
        this.threadPrefix = threadPrefix;
        this.refused = refused;
        this.framework = framework;
        this.advice = advice;
    }

    /** Runs {@code r} on a thread of this kind. */
    abstract void execute(Runnable r);

    /** Runs {@code body} on a thread of this kind; the future completes with its result or exception. */
    <T> CompletableFuture<T> submit(Callable<T> body) {
        CompletableFuture<T> out = new CompletableFuture<>();
        execute(() -> {
            try {
                out.complete(body.call());
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    @Override
    public void close() throws Exception {
    }

    @Override
    public String toString() {
        return name;
    }

    static final String NETTY = "a Netty event-loop thread";
    static final String NETTY_ADVICE = "move the blocking call to a worker thread";

    static ThreadKind netty(String name, String threadPrefix, EventExecutorGroup group) {
        return new ThreadKind(name, threadPrefix, true, NETTY, NETTY_ADVICE) {
            @Override
            void execute(Runnable r) {
                group.execute(r);
            }

            @Override
            public void close() throws Exception {
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            }
        };
    }

    static ThreadKind nettyNio() {
        return netty("Netty NIO event loop", "multiThreadIoEventLoopGroup-", new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()));
    }

    static ThreadKind nettyDefault() {
        return netty("Netty DefaultEventLoop", "defaultEventLoop-", new DefaultEventLoop());
    }

    /** A Netty loop whose thread is a plain {@code Thread} from a user's ThreadFactory, not Netty's own thread class. */
    static ThreadKind nettyOnPlainThreads() {
        return netty("Netty loop on a plain ThreadFactory thread", "pool-", new DefaultEventLoop(Executors.defaultThreadFactory()));
    }

    static ThreadKind vertxEventLoop(Vertx vertx) {
        return new ThreadKind("Vert.x event loop", "vert.x-eventloop-thread-", true, "a Vert.x event-loop thread", "vertx.executeBlocking") {
            @Override
            void execute(Runnable r) {
                vertx.runOnContext(v -> r.run());
            }
        };
    }

    static ThreadKind vertxWorker(Vertx vertx) {
        return new ThreadKind("Vert.x worker (executeBlocking)", "vert.x-worker-thread-", false, null, null) {
            @Override
            void execute(Runnable r) {
                vertx.executeBlocking(() -> {
                    r.run();
                    return null;
                });
            }
        };
    }

    static ThreadKind reactor(String name, String threadPrefix, Scheduler scheduler, boolean refused) {
        return new ThreadKind(name, threadPrefix, refused, "a Reactor non-blocking scheduler thread", "Schedulers.boundedElastic()") {
            @Override
            void execute(Runnable r) {
                scheduler.schedule(r);
            }
        };
    }

    /**
     * Lettuce's own I/O thread: the callback of a BLPOP whose reply is held back until the
     * key is pushed runs where Lettuce reads replies, a Netty event loop.
     */
    static ThreadKind lettuce(RedisClient client) {
        StatefulRedisConnection<String, String> waiting = client.connect();
        StatefulRedisConnection<String, String> pushing = client.connect();
        AtomicLong gates = new AtomicLong();
        return new ThreadKind("Lettuce I/O thread (a command's callback)", "lettuce-nioEventLoop-", true, NETTY, NETTY_ADVICE) {
            @Override
            void execute(Runnable r) {
                String key = "thread-kind-gate:" + gates.incrementAndGet();
                waiting.async().blpop(0, key).thenRun(r); // registered before the push that lets it complete
                pushing.async().lpush(key, "go");
            }

            @Override
            public void close() {
                waiting.close();
                pushing.close();
            }
        };
    }

    static ThreadKind plainThread() {
        return new ThreadKind("plain platform thread", "plain-caller", false, null, null) {
            @Override
            void execute(Runnable r) {
                Thread.ofPlatform().name("plain-caller").start(r);
            }
        };
    }

    static ThreadKind virtualThread() {
        return new ThreadKind("plain virtual thread", "virtual-caller", false, null, null) {
            @Override
            void execute(Runnable r) {
                Thread.ofVirtual().name("virtual-caller").start(r);
            }
        };
    }
}
