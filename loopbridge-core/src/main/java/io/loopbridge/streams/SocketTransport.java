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
 * <p>Invariants. The reader callback stays registered for the whole life of the connection
 * except while reading is paused (the reader's buffer is full) or after end of stream, so a
 * connection normally changes only its interest set, never re-registers. A write goes
 * straight to the socket when nothing is queued; only the rest is copied into {@link #queue},
 * and the writer callback is registered exactly while the queue is not empty. Loop only.
 *
 * <p>Lifecycle: OPEN → CLOSING (close() with data still queued: flush, then close) → CLOSED.
 * A socket error goes straight to CLOSED and is handed to the reader and to drain().
 */
final class SocketTransport {
    private static final Logger log = LoggerFactory.getLogger(SocketTransport.class);
    private static final int READ_CHUNK = 64 * 1024;
    private static final int DEFAULT_HIGH_WATER = 64 * 1024;
    private static final int MAX_READS_PER_EVENT = 4;
    /** Gathering writes take at most this many queued buffers at once. */
    private static final int MAX_GATHER = 64;
    /** One direct read buffer per loop thread: a read copies out of it, so 10,000 idle connections cost no buffers. */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(READ_CHUNK));

    enum State { OPEN, CLOSING, CLOSED }

    final EventLoop loop;
    final SocketChannel channel;
    final StreamReader reader;
    final InetSocketAddress localAddress;
    final InetSocketAddress remoteAddress;
    /** Completes once the socket is closed, however. */
    final LoopFuture<Void> closed;

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
    /** Set by the server that accepted this connection. */
    Runnable onClose;
    /** Test hook: completed the first time reading pauses. */
    LoopFuture<Void> pausedSignal;
    /** Largest reader buffer seen (for the back-pressure tests). */
    int maxReaderBuffered;

    SocketTransport(EventLoop loop, SocketChannel channel, StreamReader reader) throws IOException {
        this.loop = loop;
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
        int room = reader.room();
        if (room <= 0) {
            pauseReading();
            return false;
        }
        ByteBuffer buf = READ_BUFFER.get();
        buf.clear();
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
            eofReceived = true;
            stopReading();
            reader.feedEof();
        }
        return false;
    }

    boolean readingPaused() {
        return !readerRegistered && state == State.OPEN && !eofReceived;
    }

    private void pauseReading() {
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

    void write(byte[] data, int off, int len) {
        if (state != State.OPEN || eofRequested) {
            throw new IllegalStateException("cannot write to " + this + ": the writer is "
                    + (eofRequested && state == State.OPEN ? "half-closed (writeEof)" : state.name().toLowerCase()));
        }
        if (lostWith != null || len == 0) {
            return;
        }
        ByteBuffer src = ByteBuffer.wrap(data, off, len);
        if (queue.isEmpty()) {
            try {
                channel.write(src);
            } catch (IOException e) {
                connectionLost(e);
                return;
            }
            if (!src.hasRemaining()) {
                return;
            }
            loop.addWriter(channel, writeCallback);
        }
        // The caller may reuse its array as soon as write returns.
        ByteBuffer copy = ByteBuffer.allocate(src.remaining());
        copy.put(src).flip();
        queue.add(copy);
        queued += copy.remaining();
    }

    private void onWritable() {
        if (state == State.CLOSED) {
            return;
        }
        try {
            while (!queue.isEmpty()) {
                int k = 0;
                for (ByteBuffer b : queue) {
                    gather[k++] = b;
                    if (k == MAX_GATHER) {
                        break;
                    }
                }
                long n = channel.write(gather, 0, k);
                java.util.Arrays.fill(gather, 0, k, null);
                queued -= n;
                while (!queue.isEmpty() && !queue.peekFirst().hasRemaining()) {
                    queue.pollFirst();
                }
                if (n == 0 || !queue.isEmpty() && k < MAX_GATHER) {
                    break;
                }
            }
        } catch (IOException e) {
            connectionLost(e);
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

    /** Suspends the calling task while more than the high-water mark is queued. */
    void drain() throws Exception {
        if (lostWith != null) {
            throw lostWith;
        }
        if (queued <= highWater || state == State.CLOSED) {
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
        queue.clear();
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
        closed.complete(null);
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
