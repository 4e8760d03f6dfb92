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

    /** A loop's values, indexed by key; read without a lock, created under one. */
    static final class Slots {
        private volatile Object[] values = new Object[4];

        @SuppressWarnings("unchecked")
        <T> T get(LoopLocal<T> key, Loop loop) {
            Object[] v = values;
            if (key.index < v.length && v[key.index] != null) {
                return (T) v[key.index];
            }
            synchronized (this) {
                v = values;
                if (key.index < v.length && v[key.index] != null) {
                    return (T) v[key.index];
                }
                v = java.util.Arrays.copyOf(v, Math.max(key.index + 1, v.length));
                T created = key.create(loop);
                v[key.index] = created;
                values = v;
                return created;
            }
        }
    }
}
