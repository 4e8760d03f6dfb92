package io.loopbridge.bench;

import io.loopbridge.EventLoop;
import io.loopbridge.TaskMode;
import io.netty.channel.DefaultEventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One consumer thread that other threads hand callbacks to, in each of the flavours the
 * benchmarks compare. The {@code impl} names are the values of the benchmarks' {@code impl}
 * parameter: {@value BenchBase#LOOPBRIDGE} is ours, every other one is an anchor.
 *
 * <p>{@link #submit} is thread-safe; {@link #close} is called once, by the benchmark thread.
 */
abstract class SingleThreadTarget implements AutoCloseable {

    static final String NETTY = "netty";
    static final String TPE = "tpe";

    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    /** Hands {@code callback} to the consumer thread; thread-safe. */
    abstract void submit(Runnable callback);

    @Override
    public abstract void close() throws Exception;

    /** Starts the consumer thread and returns once it runs callbacks. */
    static SingleThreadTarget start(String impl) throws Exception {
        SingleThreadTarget target = switch (impl) {
            case BenchBase.LOOPBRIDGE -> LoopbridgeTarget.start(EventLoop::create);
            case BenchBase.NO_WATCHDOG -> LoopbridgeTarget.start(() -> EventLoop.builder().blockedLoopThreshold(null).build());
            case BenchBase.LOOPBRIDGE_PORTABLE -> LoopbridgeTarget.start(() -> EventLoop.builder().taskMode(TaskMode.PORTABLE).build());
            case NETTY -> new NettyTarget();
            case TPE -> new TpeTarget();
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
        CountDownLatch running = new CountDownLatch(1);
        target.submit(running::countDown);
        if (!running.await(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            target.close();
            throw new IllegalStateException(impl + ": consumer thread ran no callback within "
                    + CLOSE_TIMEOUT_SECONDS + " s");
        }
        return target;
    }

    /** An {@link EventLoop} in runForever on its own platform thread, as asyncio's baseline does. */
    private static final class LoopbridgeTarget extends SingleThreadTarget {
        private final EventLoop loop;
        private final Thread thread;
        private final CompletableFuture<Void> finished;

        private LoopbridgeTarget(EventLoop loop, Thread thread, CompletableFuture<Void> finished) {
            this.loop = loop;
            this.thread = thread;
            this.finished = finished;
        }

        /** {@code factory}: the default loop, one without the watchdog (to price it), or a PORTABLE one. */
        static LoopbridgeTarget start(java.util.function.Supplier<EventLoop> factory) throws Exception {
            CompletableFuture<EventLoop> created = new CompletableFuture<>();
            CompletableFuture<Void> finished = new CompletableFuture<>();
            // The loop is created on the thread that runs it, so no assumption about
            // which thread a loop may be created on leaks into the figures.
            Thread thread = new Thread(() -> {
                try {
                    EventLoop loop = factory.get();
                    created.complete(loop);
                    try {
                        loop.runForever();
                    } finally {
                        loop.close();
                    }
                    finished.complete(null);
                } catch (Throwable t) {
                    created.completeExceptionally(t);
                    finished.completeExceptionally(t);
                }
            }, "loopbridge-loop");
            thread.start();
            EventLoop loop = created.get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new LoopbridgeTarget(loop, thread, finished);
        }

        @Override
        void submit(Runnable callback) {
            loop.callSoonThreadsafe(callback);
        }

        @Override
        public void close() throws Exception {
            loop.callSoonThreadsafe(loop::stop);
            finished.get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            thread.join();
        }
    }

    private static final class NettyTarget extends SingleThreadTarget {
        private final DefaultEventLoop executor = new DefaultEventLoop();

        @Override
        void submit(Runnable callback) {
            executor.execute(callback);
        }

        @Override
        public void close() {
            executor.shutdownGracefully(0, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The JDK's plain answer: one worker thread behind a LinkedBlockingQueue. */
    private static final class TpeTarget extends SingleThreadTarget {
        private final ThreadPoolExecutor executor = new ThreadPoolExecutor(
                1, 1, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> new Thread(r, "tpe-consumer"));

        @Override
        void submit(Runnable callback) {
            executor.execute(callback);
        }

        @Override
        public void close() throws InterruptedException {
            executor.shutdown();
            if (!executor.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("tpe: consumer did not stop within " + CLOSE_TIMEOUT_SECONDS + " s");
            }
        }
    }
}
