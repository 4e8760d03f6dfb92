package io.loopbridge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * The future of {@link Async#gather} and {@link Async#gatherSettled} (asyncio's
 * {@code _GatheringFuture}). A child's cancellation is treated as that child raising
 * {@link CancelledException}: the gathering future then fails with it, and is not itself
 * cancelled, so the other children go on. Cancelling the gathering future cancels the
 * children instead of itself, and returns whether any child accepted; it then fails with
 * cancelled once every child is done.
 *
 * <p>This class is thread-safe, as every {@link LoopFuture}; its done-callbacks run on the loop.
 */
final class GatheringFuture<R> extends LoopFuture<R> implements LoopFuture.DoneListener {
    private final LoopFuture<?>[] children;
    private final LoopFuture<?>[] distinct;
    private final boolean settled;
    private int finished;
    private volatile boolean cancelRequested;

    private GatheringFuture(Loop loop, LoopFuture<?>[] children, LoopFuture<?>[] distinct, boolean settled) {
        super(loop);
        this.children = children;
        this.distinct = distinct;
        this.settled = settled;
    }

    /**
     * Gathers {@code stages} on the loop of their loop futures, or the running loop when there is
     * none. A stage given twice is awaited once and its outcome appears at both places.
     *
     * @param settled asyncio's {@code return_exceptions=True}: outcomes as {@link Async.Settled} values
     * @throws IllegalArgumentException if the stages' loop futures belong to different loops
     */
    static <R> GatheringFuture<R> of(EventLoop given, Collection<? extends CompletionStage<?>> stages, boolean settled) {
        Objects.requireNonNull(stages, "stages");
        Loop loop = given == null ? null : Loop.of(given);
        for (CompletionStage<?> s : stages) {
            if (s instanceof LoopFuture<?> lf) {
                if (loop == null) {
                    loop = lf.loop;
                } else if (lf.loop != loop) {
                    throw new IllegalArgumentException("Async.gather: the futures belong to different event loops ('"
                            + loop.name() + "' and '" + lf.loop.name() + "'); gather futures of one loop");
                }
            }
        }
        if (loop == null) {
            loop = Loop.of(EventLoop.current());
        }
        Map<CompletionStage<?>, LoopFuture<?>> seen = new IdentityHashMap<>(stages.size()); // sized: no rehash for big gathers
        LoopFuture<?>[] children = new LoopFuture<?>[stages.size()];
        List<LoopFuture<?>> distinct = new ArrayList<>(children.length);
        int i = 0;
        for (CompletionStage<?> s : stages) {
            Objects.requireNonNull(s, "a stage is null");
            LoopFuture<?> f = seen.get(s);
            if (f == null) {
                f = LoopFuture.wrap(loop, s);
                seen.put(s, f);
                distinct.add(f);
            }
            children[i++] = f;
        }
        GatheringFuture<R> out = new GatheringFuture<>(loop, children, distinct.toArray(new LoopFuture<?>[0]), settled);
        if (children.length == 0) {
            out.setOutcome(settled ? List.of() : List.of());
            return out;
        }
        for (LoopFuture<?> f : out.distinct) {
            f.addListener(out); // one listener for every child: no object per child
        }
        return out;
    }

    /** A child is done (any thread): its result is taken on the loop, as asyncio's done-callbacks run. */
    @Override
    public void futureDone(LoopFuture<?> done) {
        done.loop.post(new Callback(() -> childDone(done), null));
    }

    private void childDone(LoopFuture<?> child) {
        finished++;
        Object o = child.rawOutcome();
        if (isDone()) {
            child.markRetrieved(); // its failure is the gatherer's business, already decided
            return;
        }
        if (!settled) {
            if (o instanceof Cancelled c) {
                // A child cancelled by itself fails the gatherer, which is not cancelled (its siblings go
                // on); one cancelled through cancel() here ends it cancelled.
                setOutcome(cancelRequested ? new Cancelled(c.message) : new Failure(new CancelledException(c.message)));
                return;
            }
            if (o instanceof Failure f) {
                child.markRetrieved();
                setOutcome(new Failure(f.exception));
                return;
            }
        }
        if (finished < distinct.length) {
            return;
        }
        if (cancelRequested) {
            // Cancelled through this future: it ends cancelled once every child is done (asyncio
            // sets a CancelledError as its exception instead; Java's Future contract wants isCancelled()).
            // asyncio reads every child first (its results list), so a child that failed instead
            // of ending cancelled is not reported as never retrieved.
            for (LoopFuture<?> c : distinct) {
                c.markRetrieved();
            }
            setOutcome(new Cancelled(o instanceof Cancelled c ? c.message : null));
            return;
        }
        Object[] results = new Object[children.length];
        for (int i = 0; i < children.length; i++) {
            results[i] = settled ? settledOf(children[i]) : valueOf(children[i]);
        }
        setOutcome(Arrays.asList(results));
    }

    private static Object valueOf(LoopFuture<?> f) {
        Object o = f.rawOutcome();
        return o == NIL ? null : o;
    }

    private static Async.Settled<Object> settledOf(LoopFuture<?> f) {
        f.markRetrieved();
        Object o = f.rawOutcome();
        if (o instanceof Cancelled c) {
            return new Async.Settled<>(null, new CancelledException(c.message));
        }
        if (o instanceof Failure fail) {
            return new Async.Settled<>(null, fail.exception);
        }
        return new Async.Settled<>(o == NIL ? null : o, null);
    }

    /** Cancels the children (not this future); false if done or if no child accepted. */
    @Override
    public boolean cancel(String message) {
        if (isDone()) {
            markRetrieved(); // as asyncio: whoever cancels a done future has dealt with its failure
            return false;
        }
        if (postedCancel(message)) {
            // From another thread while the loop runs: cancelled on the loop, as a task is, so
            // the flag below is set before any child's cancellation can reach us.
            return true;
        }
        boolean any = false;
        for (LoopFuture<?> c : distinct) {
            if (c.cancel(message)) {
                any = true;
            }
        }
        if (any) {
            cancelRequested = true;
        }
        return any;
    }
}
