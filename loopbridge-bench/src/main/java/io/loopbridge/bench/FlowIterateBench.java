package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.AsyncIterator;
import io.loopbridge.EventLoop;
import io.loopbridge.TaskMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Flow;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;

/**
 * Set "flow": values/s taken from an in-memory publisher, {@code Flux.range(0, 100_000)}, into
 * an {@code ArrayList}; one op is one value. loopbridge takes it through Flow, the way a user
 * would ({@code JdkFlowAdapter.publisherToFlowPublisher(flux)}, then {@code Async.iterate} with
 * the default prefetch of 256); Reactor, the anchor, collects the same Flux itself
 * ({@code flux.collectList().block()}). Goal: loopbridge at least half of Reactor's rate.
 *
 * <p>impl values: {@value BenchBase#LOOPBRIDGE} (a FAST-mode task iterating), {@value #PORTABLE}
 * (the same in PORTABLE mode), {@value #THREAD} (the benchmark thread iterating: blocks instead
 * of suspending, here never waits), {@value #REACTOR}. Every invocation checks the count and the
 * last value, or throws.
 */
public class FlowIterateBench extends BenchBase {

    static final int VALUES = 100_000;
    static final String PORTABLE = LOOPBRIDGE_PORTABLE;
    static final String THREAD = "loopbridge-thread";
    static final String REACTOR = "reactor";

    @Param({LOOPBRIDGE, PORTABLE, THREAD, REACTOR})
    public String impl;

    private Flux<Integer> flux;
    private Flow.Publisher<Integer> publisher;
    private EventLoop loop;
    private Callable<List<Integer>> iterate;

    @Setup(Level.Trial)
    public void setUp() {
        flux = Flux.range(0, VALUES);
        publisher = JdkFlowAdapter.publisherToFlowPublisher(flux);
        iterate = () -> {
            List<Integer> out = new ArrayList<>();
            try (AsyncIterator<Integer> it = Async.iterate(publisher)) {
                while (it.hasNext()) {
                    out.add(it.next());
                }
            }
            return out;
        };
        TaskMode mode = switch (impl) {
            case LOOPBRIDGE -> TaskMode.FAST;
            case PORTABLE -> TaskMode.PORTABLE;
            case THREAD, REACTOR -> null;
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
        if (mode != null) {
            loop = EventLoop.builder().name("bench-" + impl).taskMode(mode).build();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (loop != null) {
            loop.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public int take() throws Exception {
        List<Integer> got = switch (impl) {
            case REACTOR -> flux.collectList().block();
            case THREAD -> iterate.call();
            default -> loop.runUntilComplete(iterate);
        };
        return verify(got);
    }

    private int verify(List<Integer> got) {
        if (got == null || got.size() != VALUES || got.get(VALUES - 1) != VALUES - 1) {
            throw new IllegalStateException(impl + ": LOST VALUES: got " + (got == null ? null : got.size()) + "/" + VALUES);
        }
        return got.size();
    }
}
