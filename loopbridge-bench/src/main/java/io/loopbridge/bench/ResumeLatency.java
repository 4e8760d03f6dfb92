package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.TaskMode;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Set "tasks": resume latency of a task awaiting a future that another (persistent,
 * platform) thread completes. Counterpart of bench/python/b8_resume_latency.py, same
 * protocol: the task creates a future, hands it to the worker through a blocking queue and
 * awaits it; the worker takes it, reads {@code t0 = System.nanoTime()} and completes the
 * future with t0; the task, resumed, records {@code nanoTime() - t0}. Variant {@code hot}:
 * the worker completes at once; {@code idle}: it first spins about 200 µs so that the loop
 * thread has gone to sleep in its selector. Per repeat, the p50 and p99 of single samples;
 * the figure printed is the median over 5 repeats (after one warm-up repeat), in µs.
 *
 * <p>Who awaits ({@code impl_future}):
 * <ul>
 *   <li>{@code loopbridge_loopfuture}, {@code loopbridge_cf}: a task of a FAST-mode loop awaits
 *       a {@link LoopFuture} of the loop ({@code complete} from the worker, any thread may) or
 *       a {@link CompletableFuture}, with {@code Async.await};</li>
 *   <li>{@code loopbridge_portable_loopfuture}, {@code loopbridge_portable_cf}: the same in
 *       PORTABLE mode;</li>
 *   <li>{@code netty}: anchor: a callback on a Netty {@link DefaultEventLoop} creates a
 *       {@link Promise} of that loop with a listener and hands it over; the worker calls
 *       {@code setSuccess(t0)}, the listener (run on the event loop) measures and starts the
 *       next sample;</li>
 *   <li>{@code vthread}: anchor: a plain virtual thread (default scheduler) joins a
 *       {@code CompletableFuture};</li>
 *   <li>{@code kotlin_single}, {@code kotlin_runblocking}: anchors: a Kotlin coroutine awaits
 *       a {@code CompletableDeferred} that the worker completes
 *       ({@link KotlinAnchor#resumeLatencies}), on a single-thread executor's dispatcher or on
 *       {@code runBlocking}'s event loop in the main thread.</li>
 * </ul>
 *
 * <pre>
 * java --add-opens java.base/java.lang=ALL-UNNAMED -cp loopbridge-bench.jar \
 *      io.loopbridge.bench.ResumeLatency [who ...]      (default: all of them)
 * </pre>
 * Prints e.g. {@code resume_latency_loopbridge_cf_hot_p50: 4.10 us (min=.. max=.. n=5)}.
 * Samples per repeat: 20,000 × bench.scale for hot, a quarter of that for idle, as in b8.
 */
public final class ResumeLatency {

    static final List<String> WHO = List.of("loopbridge_loopfuture", "loopbridge_cf",
            "loopbridge_portable_loopfuture", "loopbridge_portable_cf", "netty", "vthread",
            "kotlin_single", "kotlin_runblocking");
    private static final int REPEATS = 5;
    private static final long IDLE_NANOS = 200_000;
    private static final long TIMEOUT_SECONDS = 120;

    private ResumeLatency() {
    }

    /** What the worker does with one sample: complete the awaited future with t0. */
    @FunctionalInterface
    interface Completion {
        void complete(long t0);
    }

    /** Samples one repeat of n latencies, in ns, in the order taken. */
    @FunctionalInterface
    interface Sampler {
        long[] sample(int n) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        List<String> who = args.length == 0 ? WHO : Arrays.asList(args);
        for (String w : who) {
            if (!WHO.contains(w)) {
                System.err.println("unknown: " + w + " (known: " + WHO + ")");
                System.exit(2);
            }
        }
        int n = Math.max(10, (int) (20_000 * LineReport.scale()));
        System.out.printf(Locale.ROOT, "# resume latency, %s, %d cores, %d samples/repeat hot, %d idle%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), n, Math.max(1, n / 4));
        for (String w : who) {
            for (String variant : List.of("hot", "idle")) {
                long idle = variant.equals("idle") ? IDLE_NANOS : 0;
                int nn = idle == 0 ? n : Math.max(10, n / 4);
                try (Worker worker = new Worker(idle)) {
                    double[] p50 = new double[REPEATS];
                    double[] p99 = new double[REPEATS];
                    run(w, worker, nn, REPEATS, p50, p99);
                    LineReport.report("resume_latency_" + w + "_" + variant + "_p50", p50, "us", 2);
                    LineReport.report("resume_latency_" + w + "_" + variant + "_p99", p99, "us", 2);
                }
            }
        }
    }

    /** One warm-up repeat, then {@code repeats} measured ones, all with the same awaiter. */
    private static void run(String who, Worker worker, int n, int repeats, double[] p50, double[] p99) throws Exception {
        Runner r = switch (who) {
            case "loopbridge_loopfuture" -> loopbridge(TaskMode.FAST, true, worker);
            case "loopbridge_cf" -> loopbridge(TaskMode.FAST, false, worker);
            case "loopbridge_portable_loopfuture" -> loopbridge(TaskMode.PORTABLE, true, worker);
            case "loopbridge_portable_cf" -> loopbridge(TaskMode.PORTABLE, false, worker);
            case "netty" -> netty(worker);
            case "vthread" -> vthread(worker);
            case "kotlin_single" -> kotlin(KotlinAnchor::singleThread, worker);
            case "kotlin_runblocking" -> kotlin(KotlinAnchor::runBlockingLoop, worker);
            default -> throw new IllegalArgumentException(who);
        };
        r.run(n, repeats, p50, p99);
    }

    @FunctionalInterface
    private interface Runner {
        void run(int n, int repeats, double[] p50, double[] p99) throws Exception;
    }

    private static void summarize(long[] lat, int r, double[] p50, double[] p99) {
        Arrays.sort(lat);
        p50[r] = LineReport.median(lat) / 1000.0;
        p99[r] = LineReport.percentile(lat, 99) / 1000.0;
    }

    private static Runner loopbridge(TaskMode mode, boolean loopFuture, Worker worker) {
        return (n, repeats, p50, p99) -> {
            try (EventLoop loop = EventLoop.builder().name("resume-" + mode).taskMode(mode).build()) {
                if (loop.taskMode() != mode) {
                    throw new IllegalStateException("asked for " + mode + " but the loop runs in " + loop.taskMode());
                }
                Sampler s = count -> {
                    long[] lat = new long[count];
                    for (int i = 0; i < count; i++) {
                        long t0;
                        if (loopFuture) {
                            LoopFuture<Long> f = loop.createFuture();
                            worker.hand(f::complete);
                            t0 = Async.await(f);
                        } else {
                            CompletableFuture<Long> f = new CompletableFuture<>();
                            worker.hand(f::complete);
                            t0 = Async.await(f);
                        }
                        lat[i] = System.nanoTime() - t0;
                    }
                    return lat;
                };
                loop.runUntilComplete(() -> {
                    s.sample(n);
                    for (int r = 0; r < repeats; r++) {
                        summarize(s.sample(n), r, p50, p99);
                    }
                    return null;
                });
            }
        };
    }

    private static Runner netty(Worker worker) {
        return (n, repeats, p50, p99) -> {
            DefaultEventLoop el = new DefaultEventLoop();
            try {
                Sampler s = count -> {
                    NettyChain chain = new NettyChain(el, worker, count);
                    el.execute(chain::next);
                    return chain.done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                };
                s.sample(n);
                for (int r = 0; r < repeats; r++) {
                    summarize(s.sample(n), r, p50, p99);
                }
            } finally {
                el.shutdownGracefully(0, 10, TimeUnit.SECONDS).syncUninterruptibly();
            }
        };
    }

    /** Callback-style sampling on a Netty event loop: each listener records one sample and starts the next. */
    private static final class NettyChain {
        final DefaultEventLoop el;
        final Worker worker;
        final long[] lat;
        final CompletableFuture<long[]> done = new CompletableFuture<>();
        int i;

        NettyChain(DefaultEventLoop el, Worker worker, int count) {
            this.el = el;
            this.worker = worker;
            this.lat = new long[count];
        }

        void next() {
            if (i == lat.length) {
                done.complete(lat);
                return;
            }
            Promise<Long> p = el.newPromise();
            p.addListener(f -> {
                long now = System.nanoTime();
                if (!f.isSuccess()) {
                    done.completeExceptionally(f.cause());
                    return;
                }
                lat[i++] = now - (Long) f.getNow();
                next();
            });
            worker.hand(p::setSuccess);
        }
    }

    private static Runner vthread(Worker worker) {
        return (n, repeats, p50, p99) -> {
            Sampler s = count -> {
                long[] lat = new long[count];
                CompletableFuture<long[]> out = new CompletableFuture<>();
                Thread.ofVirtual().name("resume-vthread").start(() -> {
                    for (int i = 0; i < count; i++) {
                        CompletableFuture<Long> f = new CompletableFuture<>();
                        worker.hand(f::complete);
                        long t0 = f.join();
                        lat[i] = System.nanoTime() - t0;
                    }
                    out.complete(lat);
                });
                return out.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            };
            s.sample(n);
            for (int r = 0; r < repeats; r++) {
                summarize(s.sample(n), r, p50, p99);
            }
        };
    }

    private static Runner kotlin(Supplier<KotlinAnchor> anchor, Worker worker) {
        return (n, repeats, p50, p99) -> {
            try (KotlinAnchor k = anchor.get()) {
                Sampler s = count -> k.resumeLatencies(count, completion -> worker.hand(completion::accept));
                s.sample(n);
                for (int r = 0; r < repeats; r++) {
                    summarize(s.sample(n), r, p50, p99);
                }
            }
        };
    }

    /** The persistent platform thread that completes what it is handed, as b8's worker. */
    static final class Worker implements AutoCloseable {
        private static final Completion STOP = t0 -> { };
        private final BlockingQueue<Completion> queue = new LinkedBlockingQueue<>();
        private final Thread thread;
        private final long idleNanos;
        private final List<Throwable> failures = new ArrayList<>();

        Worker(long idleNanos) {
            this.idleNanos = idleNanos;
            thread = Thread.ofPlatform().name("resume-worker").daemon(true).start(this::work);
        }

        void hand(Completion c) {
            queue.add(c);
        }

        private void work() {
            try {
                while (true) {
                    Completion c = queue.take();
                    if (c == STOP) {
                        return;
                    }
                    if (idleNanos > 0) {
                        long end = System.nanoTime() + idleNanos;
                        while (System.nanoTime() < end) {
                            Thread.onSpinWait();
                        }
                    }
                    c.complete(System.nanoTime());
                }
            } catch (Throwable t) {
                synchronized (failures) {
                    failures.add(t);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            queue.add(STOP);
            thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            synchronized (failures) {
                if (!failures.isEmpty()) {
                    throw new IllegalStateException("the worker failed", failures.get(0));
                }
            }
        }
    }
}
