package io.loopbridge.streams;

import io.loopbridge.EventLoop;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The direct buffers a loop's connections share: one staging buffer that every socket read
 * of the loop goes through, and at most {@link #maxBuffers()} write buffers, lent to a
 * connection while it holds bytes the socket has not taken yet and returned as soon as they
 * are sent. Direct memory per loop is therefore bounded ({@value #DEFAULT_MAX_BUFFERS} + 1
 * buffers of {@value #BUFFER_SIZE} bytes by default) however many connections it serves;
 * when every write buffer is out, {@link #take()} answers null and the writer keeps its
 * bytes on the heap instead (the JDK then copies them to its own direct buffer when writing).
 *
 * <p>Why direct: a socket write from a heap buffer first copies the bytes into a temporary
 * direct buffer, so a write that does not go out at once would copy the caller's bytes twice
 * (once by the JDK, once into the queue) and again on every later attempt. A pooled direct
 * buffer takes one copy and the socket writes from it as often as needed.
 *
 * <p>Direct buffers cannot be freed by hand without internal JDK API, so the pool never gives
 * one up: buffers live until the loop (the key of the pool) is garbage collected.
 *
 * <p>Confined to its loop: used from the loop's callbacks and tasks only.
 */
final class BufferPool {
    static final int BUFFER_SIZE = 64 * 1024;
    static final int DEFAULT_MAX_BUFFERS = 64;
    /** One pool per loop; weak keys, so a closed and forgotten loop takes its buffers with it. */
    private static final Map<EventLoop, BufferPool> POOLS = Collections.synchronizedMap(new WeakHashMap<>());

    private final int maxBuffers;
    private final ByteBuffer[] free;
    private int freeCount;
    private int allocated;
    private ByteBuffer staging;

    BufferPool(int maxBuffers) {
        if (maxBuffers < 0) {
            throw new IllegalArgumentException("maxBuffers must not be negative: " + maxBuffers);
        }
        this.maxBuffers = maxBuffers;
        this.free = new ByteBuffer[maxBuffers];
    }

    /** The pool of {@code loop}, made on first use. Thread-safe. */
    static BufferPool of(EventLoop loop) {
        return POOLS.computeIfAbsent(loop, l -> new BufferPool(DEFAULT_MAX_BUFFERS));
    }

    /** The buffer socket reads go through (never lent out: a read copies out of it before returning). */
    ByteBuffer staging() {
        ByteBuffer s = staging;
        if (s == null) {
            s = staging = ByteBuffer.allocateDirect(BUFFER_SIZE);
        }
        return s.clear();
    }

    /** A cleared direct buffer of {@value #BUFFER_SIZE} bytes, or null if all {@link #maxBuffers()} are out. */
    ByteBuffer take() {
        if (freeCount > 0) {
            ByteBuffer b = free[--freeCount];
            free[freeCount] = null;
            return b;
        }
        if (allocated < maxBuffers) {
            allocated++;
            return ByteBuffer.allocateDirect(BUFFER_SIZE);
        }
        return null;
    }

    /** Whether {@link #take()} would answer a buffer. */
    boolean canLend() {
        return freeCount > 0 || allocated < maxBuffers;
    }

    /** Returns a buffer that {@link #take()} gave. The caller must hold no reference to it afterwards. */
    void give(ByteBuffer b) {
        if (!b.isDirect() || b.capacity() != BUFFER_SIZE || freeCount == allocated) {
            throw new IllegalStateException("not a buffer lent by this pool, or returned twice: " + b);
        }
        free[freeCount++] = b.clear();
    }

    /** Write buffers lent out right now. */
    int outstanding() {
        return allocated - freeCount;
    }

    int maxBuffers() {
        return maxBuffers;
    }

    @Override
    public String toString() {
        return "BufferPool[" + outstanding() + " of " + allocated + " lent, at most " + maxBuffers + "]";
    }
}
