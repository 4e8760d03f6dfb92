package io.loopbridge;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A value kept per loop and created on first use, as a ThreadLocal is per thread (Netty's
 * {@code AttributeKey}): how a higher layer hangs its own per-loop state on a loop that does
 * not know it. This class is thread-safe.
 */
final class LoopLocal<T> {
    private static final AtomicInteger NEXT = new AtomicInteger();

    final int index = NEXT.getAndIncrement();
    private final Function<Loop, T> initial;

    LoopLocal(Function<Loop, T> initial) {
        this.initial = Objects.requireNonNull(initial, "initial");
    }

    /** {@code loop}'s value. */
    T get(Loop loop) {
        return loop.local(this);
    }

    T create(Loop loop) {
        return initial.apply(loop);
    }
}
