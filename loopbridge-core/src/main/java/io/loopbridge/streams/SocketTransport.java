package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection on the loop's selector (asyncio's _SelectorSocketTransport together with
 * StreamReaderProtocol): reads into its {@link StreamReader}, writes for its
 * {@link StreamWriter}. No thread of its own: the loop calls {@link #onReadable} and
 * {@link #onWritable} when the socket is ready.
 *
 * <p>Reading. The reader callback stays registered for the whole life of the connection
 * except while reading is paused (the reader's buffer is full) or after end of stream, so a
 * connection normally changes only its interest set, never re-registers. When a task waits
 * in {@link StreamReader#readInto} on an empty buffer, the socket is read straight into the
 * task's buffer; otherwise through the loop's staging buffer into the reader's.
 *
 * <p>Writing. Bytes the socket has not taken live in {@link #queue}, in the loop's pooled
 * direct buffers (heap buffers when the pool is out), each in read mode; small writes are
 * appended to the last buffer. A caller's direct buffer is written straight to the socket
 * when nothing is queued, and only what is left is copied; a caller's heap bytes are copied
 * once, into pooled buffers, and written from there, so a partial write never copies them
 * again. The writer callback is registered exactly while the queue is not empty, and each
 * call gathers the queue into one {@code write(ByteBuffer[])}. Loop only.
 *
 * <p>Lifecycle: OPEN → CLOSING (close() with data still queued: flush, then close) → CLOSED.
 * A socket error goes straight to CLOSED and is handed to the reader and to drain().
 */
final class SocketTransport {
    private static final Logger log = LoggerFactory.getLogger(SocketTransport.class);
    private static final int DEFAULT_HIGH_WATER = 64 * 1024;
    private static final int MAX_READS_PER_EVENT = 4;
    /** Gathering writes take at most this many queued buffers at once. */
    private static final int MAX_GATHER = 64;
    /**
     * A waiting reader's own buffer gets the socket's bytes directly when it has at least this
     * much room; a smaller one is filled through the staging buffer, which takes up to 64 KiB
     * per read call and keeps the rest for the next read.
     */
    static final int DIRECT_READ_MIN = 8 * 1024;

    enum State { OPEN, CLOSING, CLOSED }

    final EventLoop loop;
    final SocketChannel channel;
    final StreamReader reader;
    final InetSocketAddress localAddress;
    final InetSocketAddress remoteAddress;
    /** Completes once the socket is closed: normally, or with the failure that closed it. */
    final LoopFuture<Void> closed;
    final BufferPool pool;

    private State state = State.OPEN;
    private final Runnable readCallback = this::onReadable;
    private final Runnable writeCallback = this::onWritable;
    private boolean readerRegistered;
    private boolean eofReceived;

    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    private long queued;
    private int highWater = DEFAULT_HIGH_WATER;
    private int lowWater = DEFAULT_HIGH_WATER / 4;
    private boolean eofRequested;
    private final ArrayDeque<LoopFuture<Void>> drainers = new ArrayDeque<>(1);
    private IOException lostWith;
    /** abort() closed the connection (queued bytes, if any, were dropped). */
    private boolean aborted;
    /** Set by the server that accepted this connection. */
    Runnable onClose;
    /** Test hook: completed the first time reading pauses. */
    LoopFuture<Void> pausedSignal;
    /** Test hook: run after each read straight into a waiting task's buffer. */
    Runnable afterDirectRead;
    /** Largest reader buffer seen (for the back-pressure tests). */
    int maxReaderBuffered;
    /** Largest write queue seen (for the back-pressure tests). */
    long maxQueued;

    SocketTransport(EventLoop loop, SocketChannel channel, StreamReader reader) throws IOException {
        this(loop, channel, reader, BufferPool.of(loop));
    }

    SocketTransport(EventLoop loop, SocketChannel channel, StreamReader reader, BufferPool pool) throws IOException {
        this.loop = loop;
        this.pool = pool;
        this.channel = channel;
        this.reader = reader;
        this.localAddress = (InetSocketAddress) channel.getLocalAddress();
        this.remoteAddress = (InetSocketAddress) channel.getRemoteAddress();
        this.closed = loop.createFuture();
        reader.attach(this);
    }

    /** Starts reading. Loop only. */
    void start() {
        resumeReading();
    }

    State state() {
        return state;
    }

    // ---------------------------------------------------------------- reading

    private void onReadable() {
        // A full read suggests more is waiting: take a few more now rather than after another select.
        for (int i = 0; i < MAX_READS_PER_EVENT && readOnce(); i++) {
            // keep reading
        }
    }

    /** One read; true if it filled the buffer and reading may go on. */
    private boolean readOnce() {
        if (state == State.CLOSED || !readerRegistered) {
            return false;
        }
        ByteBuffer target = reader.directTarget();
        if (target != null && target.remaining() >= DIRECT_READ_MIN) {
            return readDirect(target);
        }
        int room = reader.room();
        if (room <= 0) {
            pauseReading();
            return false;
        }
        ByteBuffer buf = pool.staging();
        if (room < buf.capacity()) {
            buf.limit(room);
        }
        int n;
        try {
            n = channel.read(buf);
        } catch (IOException e) {
            connectionLost(e);
            return false;
        }
        if (n > 0) {
            boolean full = !buf.hasRemaining();
            buf.flip();
            reader.feedData(buf);
            int b = reader.buffered();
            if (b > maxReaderBuffered) {
                maxReaderBuffered = b;
            }
            if (reader.room() <= 0) {
                pauseReading();
                return false;
            }
            return full;
        }
        if (n < 0) {
            endOfStream();
        }
        return false;
    }

    /**
     * Reads into the buffer of the task waiting in readInto: no copy. Stops after one read even
     * if more is waiting: the woken task runs before the next readiness callbacks and usually
     * comes back with an empty buffer for the rest, where reading on now would copy the rest
     * through the reader's buffer.
     */
    private boolean readDirect(ByteBuffer target) {
        int n;
        try {
            n = channel.read(target);
        } catch (IOException e) {
            connectionLost(e);
            return false;
        }
        if (n > 0) {
            reader.directDataReceived();
            Runnable hook = afterDirectRead;
            if (hook != null) {
                hook.run();
            }
        } else if (n < 0) {
            endOfStream();
        }
        return false;
    }

    private void endOfStream() {
        eofReceived = true;
        stopReading();
        reader.feedEof();
    }

    boolean readingPaused() {
        return !readerRegistered && state == State.OPEN && !eofReceived;
    }

    void pauseReading() {
        stopReading();
        LoopFuture<Void> s = pausedSignal;
        if (s != null) {
            s.complete(null);
        }
    }

    void resumeReading() {
        if (readerRegistered || state != State.OPEN || eofReceived) {
            return;
        }
        readerRegistered = true;
        loop.addReader(channel, readCallback);
    }

    private void stopReading() {
        if (readerRegistered) {
            readerRegistered = false;
            loop.removeReader(channel);
        }
    }

    // ---------------------------------------------------------------- writing

    /** Sends {@code src}'s remaining bytes (buffering what the socket does not take) and consumes it. */
    void write(ByteBuffer src) {
        if (lostWith != null) {
            // A failed connection: dropped, as asyncio's transport does; drain() throws the failure.
            src.position(src.limit());
            return;
        }
        if (state != State.OPEN || eofRequested) {
            throw new IllegalStateException("cannot write to " + this + ": the writer is "
                    + (eofRequested && state == State.OPEN ? "half-closed (writeEof)" : state.name().toLowerCase()));
        }
        if (!src.hasRemaining()) {
            return;
        }
        if (!queue.isEmpty()) {
            // The writer callback is registered and will send this after what is queued.
            enqueue(src);
            return;
        }
        if (src.isDirect() || !pool.canLend()) {
            // Straight to the socket; only what it leaves is copied (with a heap src and no
            // pooled buffer to lend, the JDK copies src to its own direct buffer for the call).
            try {
                channel.write(src);
            } catch (IOException e) {
                src.position(src.limit());
                connectionLost(e);
                return;
            }
            if (!src.hasRemaining()) {
                return;
            }
            enqueue(src);
        } else {
            // Heap bytes: one copy into pooled direct buffers, and the socket writes from there.
            enqueue(src);
            if (!flush()) {
                return;
            }
            if (queue.isEmpty()) {
                return;
            }
        }
        loop.addWriter(channel, writeCallback);
    }

    /**
     * Copies {@code src}'s remaining bytes to the end of the queue: first into the free tail of
     * the last buffer, then into pooled buffers, and once the pool is out into one heap buffer.
     */
    private void enqueue(ByteBuffer src) {
        int n = src.remaining();
        ByteBuffer last = queue.peekLast();
        if (last != null && last.limit() < last.capacity()) {
            int p = last.position();
            last.position(last.limit()).limit(last.capacity());
            copy(src, last);
            last.limit(last.position()).position(p);
        }
        while (src.hasRemaining()) {
            ByteBuffer b = pool.take();
            if (b == null) {
                b = ByteBuffer.allocate(src.remaining());
            }
            copy(src, b);
            queue.add(b.flip());
        }
        queued += n;
        if (queued > maxQueued) {
            maxQueued = queued;
        }
    }

    /** Copies as much of {@code src} as fits into {@code dst}. */
    private static void copy(ByteBuffer src, ByteBuffer dst) {
        int k = Math.min(src.remaining(), dst.remaining());
        dst.put(dst.position(), src, src.position(), k);
        dst.position(dst.position() + k);
        src.position(src.position() + k);
    }

    private void onWritable() {
        if (state == State.CLOSED || !flush()) {
            return;
        }
        if (queued <= lowWater) {
            wakeDrainers();
        }
        if (!queue.isEmpty()) {
            return;
        }
        loop.removeWriter(channel);
        if (state == State.CLOSING) {
            finish(null);
        } else if (eofRequested) {
            shutdownOutput();
        }
    }

    /**
     * Writes as much of the queue as the socket takes, {@value #MAX_GATHER} buffers per call,
     * and gives sent pooled buffers back. False if the connection was lost.
     */
    private boolean flush() {
        try {
            while (!queue.isEmpty()) {
                int k = 0;
                for (ByteBuffer b : queue) {
                    gather[k++] = b;
                    if (k == MAX_GATHER) {
                        break;
                    }
                }
                long n;
                try {
                    n = k == 1 ? channel.write(gather[0]) : channel.write(gather, 0, k);
                } finally {
                    java.util.Arrays.fill(gather, 0, k, null);
                }
                queued -= n;
                ByteBuffer head;
                while ((head = queue.peekFirst()) != null && !head.hasRemaining()) {
                    release(queue.pollFirst());
                }
                if (n == 0 || !queue.isEmpty() && k < MAX_GATHER) {
                    break;
                }
            }
        } catch (IOException e) {
            connectionLost(e);
            return false;
        }
        return true;
    }

    private void release(ByteBuffer b) {
        if (b.isDirect()) {
            pool.give(b);
        }
    }

    long writeBufferSize() {
        return queued;
    }

    void setWriteBufferLimits(int high, int low) {
        if (high < 0 || low < 0 || low > high) {
            throw new IllegalArgumentException("write buffer limits need 0 <= low <= high: high=" + high + ", low=" + low);
        }
        highWater = high;
        lowWater = low;
        if (queued <= lowWater) {
            wakeDrainers();
        }
    }

    /**
     * Suspends the calling task while more than the high-water mark is queued. On a connection
     * already closed it throws, as asyncio's drain raises {@code ConnectionResetError} once the
     * connection is lost: the failure, or for a close of this side a {@link SocketException}.
     * A drain that waits returns once the queue is down to the low-water mark or flushed
     * (also when another task's close() flushes it, as asyncio's does), and throws if the
     * connection failed meanwhile or abort() dropped the bytes it waited for.
     */
    void drain() throws Exception {
        if (lostWith != null) {
            throw lostWith;
        }
        if (state == State.CLOSED) {
            throw new SocketException(this + ": drain() after the connection was closed on this side (close() or"
                    + " abort()); nothing more can be sent");
        }
        if (queued <= highWater) {
            return;
        }
        LoopFuture<Void> f = loop.createFuture();
        drainers.add(f);
        try {
            Async.await(f);
        } finally {
            drainers.remove(f);
        }
        if (lostWith != null) {
            throw lostWith;
        }
        if (aborted) {
            throw new SocketException(this + ": abort() on this side dropped the buffered bytes drain() waited for;"
                    + " nothing more can be sent");
        }
    }

    private void wakeDrainers() {
        for (LoopFuture<Void> f : drainers) {
            f.complete(null);
        }
    }

    void writeEof() {
        if (state != State.OPEN || eofRequested) {
            return;
        }
        eofRequested = true;
        if (queue.isEmpty()) {
            shutdownOutput();
        }
    }

    private void shutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            connectionLost(e);
        }
    }

    boolean isClosing() {
        return state != State.OPEN;
    }

    // ---------------------------------------------------------------- closing

    /** Closes after the queued data is written. Idempotent. */
    void close() {
        if (state != State.OPEN) {
            return;
        }
        state = State.CLOSING;
        stopReading();
        if (queue.isEmpty()) {
            finish(null);
        }
    }

    /** Closes now, dropping queued data. Idempotent. */
    void abort() {
        if (state == State.CLOSED) {
            return;
        }
        aborted = true;
        finish(null);
    }

    private void connectionLost(IOException e) {
        if (state == State.CLOSED) {
            return;
        }
        String what = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        String msg = "connection " + localAddress + " <-> " + remoteAddress + " lost: " + what;
        IOException clear = e instanceof SocketException ? new SocketException(msg) : new IOException(msg);
        clear.initCause(e);
        log.debug("{}", msg, e);
        finish(clear);
    }

    private void finish(IOException error) {
        state = State.CLOSED;
        lostWith = error;
        readerRegistered = false;
        for (ByteBuffer b; (b = queue.pollFirst()) != null; ) {
            release(b);
        }
        queued = 0;
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing {} failed", this, e);
        }
        if (error != null) {
            reader.setException(error);
        } else {
            reader.feedEof();
        }
        wakeDrainers();
        if (error != null) {
            // awaitClosed() throws it, as asyncio's wait_closed() raises what connection_lost got.
            // Read at once: the reader and drain() already carry it, so nobody waiting here is
            // not a lost failure (asyncio's protocol reads its closed future for the same reason).
            // Not if a cancelled awaitClosed() cancelled the future first: nothing to read then.
            if (closed.completeExceptionally(error)) {
                closed.exception();
            }
        } else {
            closed.complete(null);
        }
        Runnable r = onClose;
        if (r != null) {
            onClose = null;
            r.run();
        }
    }

    @Override
    public String toString() {
        return "connection " + localAddress + " <-> " + remoteAddress + " (" + state.name().toLowerCase() + ")";
    }
}
