package io.loopbridge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A test subscriber that records every signal, checks the order rules as they arrive (onSubscribe
 * first and once, nothing after a terminal signal, no overlapping signals) and lets the test drive
 * demand. {@link #done} completes with null on onComplete, or with the onError exception.
 */
final class RecordingSubscriber<T> implements Flow.Subscriber<T> {
    final List<T> values = Collections.synchronizedList(new ArrayList<>());
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<Throwable> done = new CompletableFuture<>();
    final CompletableFuture<Flow.Subscription> subscribed = new CompletableFuture<>();
    /** Completes when {@link #expectValues} values have arrived. */
    volatile CompletableFuture<Void> reached = new CompletableFuture<>();
    volatile int expectValues = -1;
    /** Called inside onNext, after recording (may request or cancel). */
    volatile Consumer<T> onNextAction = v -> { };
    final AtomicInteger signalsAfterTerminal = new AtomicInteger();
    private final AtomicInteger inSignal = new AtomicInteger();
    private final long initialRequest;
    volatile Flow.Subscription subscription;

    RecordingSubscriber(long initialRequest) {
        this.initialRequest = initialRequest;
    }

    /** Completes {@link #reached} once {@code n} values have arrived in all. */
    CompletableFuture<Void> whenValues(int n) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        reached = f;
        expectValues = n;
        if (values.size() >= n) {
            f.complete(null);
        }
        return f;
    }

    private void enter(String what) {
        if (inSignal.getAndIncrement() != 0) {
            violations.add("overlapping signal: " + what);
        }
        if (subscription == null && !what.equals("onSubscribe")) {
            violations.add(what + " before onSubscribe");
        }
        if (done.isDone()) {
            signalsAfterTerminal.incrementAndGet();
            violations.add(what + " after the terminal signal");
        }
    }

    private void exit() {
        inSignal.decrementAndGet();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        enter("onSubscribe");
        if (subscription != null) {
            violations.add("second onSubscribe");
        }
        subscription = s;
        subscribed.complete(s);
        exit();
        if (initialRequest > 0) {
            s.request(initialRequest);
        }
    }

    @Override
    public void onNext(T v) {
        enter("onNext " + v);
        values.add(v);
        int n = expectValues;
        if (n >= 0 && values.size() >= n) {
            reached.complete(null);
        }
        exit();
        onNextAction.accept(v);
    }

    @Override
    public void onError(Throwable t) {
        enter("onError " + t);
        exit();
        done.complete(t);
    }

    @Override
    public void onComplete() {
        enter("onComplete");
        exit();
        done.complete(null);
    }
}
