package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The receiving half of a stream connection (asyncio's StreamReader): bytes that arrived,
 * read by a task with {@link #read}, {@link #readExactly}, {@link #readLine} or
 * {@link #readUntil}, or into the caller's own buffer with {@link #readInto(ByteBuffer)} and
 * {@link #readExactly(ByteBuffer)}. Each of these suspends the task until enough data or end
 * of stream arrives; cancelling the task (or an {@code Async.timeout}) leaves the data where
 * it was, for the next read: a read that throws has consumed nothing (except at end of
 * stream, see {@link IncompleteReadException}).
 *
 * <p>Copies. The socket is read through the loop's direct read buffer into the reader's own
 * arrays, and a {@code byte[]} result is copied out of them, except that a read taking
 * exactly what one socket read brought (a 64 KiB {@code read(n)} in bulk transfer, usually)
 * gets that array itself. {@link #readInto(ByteBuffer)} and
 * {@link #readExactly(ByteBuffer)}, waiting on an empty reader with room for 8 KiB or more,
 * have the socket read straight into the caller's buffer: no copy at all when it is direct.
 * That is the way to move bulk data: a proxy or an echo reads into one direct buffer and
 * {@link StreamWriter#write(ByteBuffer) writes} it on.
 *
 * <pre>{@code
 * ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
 * while (reader.readInto(buf.clear()) >= 0) {
 *     writer.write(buf.flip());
 *     writer.drain();
 * }
 * }</pre>
 *
 * <p>Back-pressure: the buffer never holds more than twice the {@linkplain #limit() limit}.
 * When it is full the connection stops reading from the socket, so a peer that sends faster
 * than we read fills its own send buffer and waits, instead of growing our memory; reading
 * resumes once the buffer has drained to the limit.
 *
 * <p>Errors: a connection reset or other socket error is thrown as an {@link IOException}
 * by every read that follows it (before buffered data, as asyncio does); end of stream in the
 * middle of {@link #readExactly} or {@link #readUntil} is an {@link IncompleteReadException}
 * carrying the bytes that did arrive.
 *
 * <p>Confined to its loop: call its methods from a task of the loop the connection was
 * opened on. Only one task may wait for data at a time.
 */
public final class StreamReader {
    /** The default {@linkplain #limit() limit}: 64 KiB, as in asyncio. */
    public static final int DEFAULT_LIMIT = 64 * 1024;
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] NEWLINE = {'\n'};

    private final EventLoop loop;
    private final int limit;
    /** The connection feeding us, or null for a reader fed by hand (tests). */
    private SocketTransport transport;

    private final ReadBuffer buffer = new ReadBuffer();
    private boolean eof;
    private IOException exception;
    private LoopFuture<Void> waiter;
    /**
     * The buffer of the task waiting in readInto or readExactly(ByteBuffer), set only while
     * our own buffer is empty: arriving bytes go there first, so order is kept.
     */
    private ByteBuffer directTarget;
    /** readExactly(ByteBuffer): wake the waiter only once {@link #directTarget} is full (or at end of stream). */
    private boolean directFill;
    /** What a waiting readExactly(n) needs buffered: the buffer may grow past twice the limit up to it. */
    private int wanted;

    StreamReader(EventLoop loop, int limit) {
        this.loop = Objects.requireNonNull(loop, "loop");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        this.limit = limit;
    }

    void attach(SocketTransport t) {
        this.transport = t;
    }

    /** The line and separator limit; the buffer holds at most twice this. */
    public int limit() {
        return limit;
    }

    /** Bytes received and not yet read. */
    public int buffered() {
        return buffer.size();
    }

    /** True once the peer has closed its side and every received byte has been read. */
    public boolean atEof() {
        return eof && buffer.size() == 0;
    }

    // ---------------------------------------------------------------- reads

    /**
     * Up to {@code n} bytes: waits until at least one byte or end of stream is there; an empty
     * array at end of stream. {@code n == -1} reads everything up to end of stream;
     * {@code n == 0} returns an empty array at once (unless the connection failed).
     *
     * @throws IOException if the connection failed (reset, ...)
     */
    public byte[] read(int n) throws Exception {
        checkConfined("read");
        if (n < -1) {
            throw new IllegalArgumentException("read(n) needs n >= -1 (-1 = up to end of stream): " + n);
        }
        throwIfFailed(); // before the n == 0 answer, as asyncio's read(0) raises a failed reader's exception
        if (n == 0) {
            return EMPTY;
        }
        if (n == -1) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            while (true) {
                byte[] chunk = read(limit);
                if (chunk.length == 0) {
                    return all.toByteArray();
                }
                all.write(chunk);
            }
        }
        if (buffer.size() == 0 && !eof) {
            waitForData("read");
        }
        return take(Math.min(n, buffer.size()));
    }

    /**
     * Exactly {@code n} bytes.
     *
     * @throws IncompleteReadException if the stream ends first (with the partial bytes, which are consumed)
     * @throws IOException             if the connection failed
     */
    public byte[] readExactly(int n) throws Exception {
        checkConfined("readExactly");
        if (n < 0) {
            throw new IllegalArgumentException("readExactly(n) needs n >= 0: " + n);
        }
        throwIfFailed();
        if (n == 0) {
            return EMPTY;
        }
        while (buffer.size() < n) {
            if (eof) {
                throw new IncompleteReadException(take(buffer.size()), n);
            }
            wanted = n;
            try {
                waitForData("readExactly");
            } finally {
                wanted = 0;
            }
        }
        return take(n);
    }

    /**
     * Reads up to {@code dst.remaining()} bytes into {@code dst} (advancing its position):
     * waits until at least one byte or end of stream is there. Returns the number of bytes
     * read, -1 at end of stream (as {@link java.nio.channels.ReadableByteChannel#read}), or 0
     * at once if {@code dst} has no room. While the reader is empty and {@code dst} has room
     * for 8 KiB or more, the socket is read straight into {@code dst}.
     *
     * @throws IOException if the connection failed (reset, ...)
     */
    public int readInto(ByteBuffer dst) throws Exception {
        checkConfined("readInto");
        checkWritable(dst, "readInto");
        throwIfFailed();
        if (!dst.hasRemaining()) {
            return 0;
        }
        int p0 = dst.position();
        if (buffer.size() == 0 && !eof) {
            try {
                do {
                    waitForData("readInto", dst, false);
                } while (buffer.size() == 0 && !eof && dst.position() == p0);
            } catch (Throwable e) {
                giveBack(dst, p0);
                throw e;
            }
        }
        takeInto(dst);
        int got = dst.position() - p0;
        return got == 0 ? -1 : got;
    }

    /**
     * Fills {@code dst}: reads exactly {@code dst.remaining()} bytes into it. Straight from the
     * socket while the reader is empty, as {@link #readInto}, and without waking the task
     * until {@code dst} is full.
     *
     * @throws IncompleteReadException if the stream ends first (with the partial bytes, which
     *                                 stay in {@code dst}, its position after them)
     * @throws IOException             if the connection failed
     */
    public void readExactly(ByteBuffer dst) throws Exception {
        checkConfined("readExactly");
        checkWritable(dst, "readExactly");
        throwIfFailed();
        int p0 = dst.position();
        int want = dst.remaining();
        try {
            while (true) {
                takeInto(dst);
                if (!dst.hasRemaining()) {
                    return;
                }
                if (eof) {
                    byte[] partial = new byte[dst.position() - p0];
                    dst.get(p0, partial);
                    throw new IncompleteReadException(partial, want);
                }
                waitForData("readExactly", dst, true);
            }
        } catch (IncompleteReadException e) {
            throw e;
        } catch (Throwable e) {
            giveBack(dst, p0);
            throw e;
        }
    }

    /**
     * One line, up to and including {@code '\n'}; at end of stream the partial last line
     * (empty once everything was read).
     *
     * @throws LimitOverrunException if the line is longer than the limit (the over-long data is discarded)
     * @throws IOException           if the connection failed
     */
    public byte[] readLine() throws Exception {
        checkConfined("readLine");
        try {
            return readUntil(NEWLINE);
        } catch (IncompleteReadException e) {
            return e.partial();
        } catch (LimitOverrunException e) {
            discard(buffer.startsWith(NEWLINE, e.consumed()) ? e.consumed() + NEWLINE.length : buffer.size());
            throw new LimitOverrunException(e.getMessage(), e.consumed());
        }
    }

    /**
     * Data up to and including {@code separator}.
     *
     * @throws LimitOverrunException   if no separator is found within the limit; the data stays buffered
     * @throws IncompleteReadException if the stream ends first (with the partial bytes, which are consumed)
     * @throws IOException             if the connection failed
     */
    public byte[] readUntil(byte[] separator) throws Exception {
        checkConfined("readUntil");
        Objects.requireNonNull(separator, "separator");
        int sepLen = separator.length;
        if (sepLen == 0) {
            throw new IllegalArgumentException("readUntil needs a non-empty separator");
        }
        throwIfFailed();
        int offset = 0;
        int found;
        while (true) {
            int len = buffer.size();
            if (len - offset >= sepLen) {
                found = buffer.indexOf(separator, offset);
                if (found >= 0) {
                    break;
                }
                offset = len + 1 - sepLen;
                if (offset > limit) {
                    throw new LimitOverrunException("separator not found within the limit of " + limit
                            + " bytes; raise it with Streams' limit parameter or read in chunks", offset);
                }
            }
            if (eof) {
                throw new IncompleteReadException(take(len), -1);
            }
            if (room() <= 0) {
                // Full, and the separator is not in it: only one longer than the limit gets here.
                throw new LimitOverrunException("separator of " + sepLen + " bytes not found in the " + len
                        + " bytes the reader holds (twice its limit of " + limit + " bytes); a separator longer"
                        + " than the limit cannot be found: raise the limit with Streams' limit parameter", offset);
            }
            waitForData("readUntil");
        }
        if (found > limit) {
            throw new LimitOverrunException("separator found after " + found + " bytes, beyond the limit of "
                    + limit + " bytes", found);
        }
        return take(found + sepLen);
    }

    // ---------------------------------------------------------------- buffer

    private byte[] take(int n) {
        if (n == 0) {
            return EMPTY;
        }
        byte[] out = buffer.take(n);
        resumeIfDrained();
        return out;
    }

    /** Moves as many buffered bytes as fit into {@code dst}. */
    private void takeInto(ByteBuffer dst) {
        int k = Math.min(dst.remaining(), buffer.size());
        if (k > 0) {
            buffer.takeInto(dst, k);
            resumeIfDrained();
        }
    }

    private void discard(int n) {
        buffer.discard(n);
        resumeIfDrained();
    }

    private void resumeIfDrained() {
        SocketTransport t = transport;
        if (t != null && t.readingPaused() && buffer.size() <= limit) {
            t.resumeReading();
        }
    }

    /**
     * A read into {@code dst} failed (cancelled, timed out, connection lost): the bytes it put
     * there since {@code from} go back to the front of our buffer, and {@code dst}'s position
     * back to {@code from}, so the failed read consumed nothing.
     */
    private void giveBack(ByteBuffer dst, int from) {
        int n = dst.position() - from;
        if (n <= 0) {
            return;
        }
        byte[] taken = new byte[n];
        dst.get(from, taken);
        buffer.prepend(taken);
        dst.position(from);
    }

    /** How many more bytes the buffer may take before the connection must stop reading. */
    int room() {
        // In long: twice a limit of 2^30 or more overflows an int (a reader that could never read).
        return (int) Math.min(Integer.MAX_VALUE, Math.max(2L * limit, wanted) - buffer.size());
    }

    /** Loop only: the buffer the socket may be read into directly, or null. */
    ByteBuffer directTarget() {
        LoopFuture<Void> w = waiter;
        return w != null && !w.isDone() ? directTarget : null;
    }

    /** Loop only: the transport read bytes into {@link #directTarget()}. */
    void directDataReceived() {
        if (!directFill || !directTarget.hasRemaining()) {
            directTarget = null;
            wakeWaiter();
        }
    }

    /** Loop only: bytes from the socket (the buffer's limit was respected by the caller). */
    void feedData(ByteBuffer src) {
        ByteBuffer target = directTarget();
        if (target != null && src.hasRemaining()) {
            // Our buffer is empty while a target is set: the waiting read gets these bytes first.
            int k = Math.min(target.remaining(), src.remaining());
            target.put(target.position(), src, src.position(), k);
            target.position(target.position() + k);
            src.position(src.position() + k);
            directDataReceived();
        }
        int n = src.remaining();
        if (n == 0) {
            return;
        }
        buffer.append(src);
        wakeWaiter();
    }

    /** Bytes fed by hand (tests, or a reader not backed by a socket). Loop only. */
    void feedData(byte[] data) {
        feedData(ByteBuffer.wrap(data));
    }

    /** Loop only: the peer closed its side (or we closed the connection). */
    void feedEof() {
        eof = true;
        wakeWaiter();
    }

    /** Loop only: the connection failed; every later read throws {@code e}. */
    void setException(IOException e) {
        exception = e;
        LoopFuture<Void> w = waiter;
        if (w != null) {
            w.completeExceptionally(e);
        }
    }

    private void wakeWaiter() {
        LoopFuture<Void> w = waiter;
        if (w != null) {
            w.complete(null);
        }
    }

    private void throwIfFailed() throws IOException {
        if (exception != null) {
            throw exception;
        }
    }

    private void checkNoWaiter(String method) {
        if (waiter != null) {
            throw new IllegalStateException(method + "() called while another task is already waiting for data"
                    + " on this StreamReader; only one task may read a stream at a time");
        }
    }

    private void waitForData(String method) throws Exception {
        checkNoWaiter(method);
        // The connection may have failed after it woke our last wait and before we ran (the
        // transport reads several times per readiness event): no waiter would ever be woken.
        throwIfFailed();
        SocketTransport t = transport;
        if (t != null && t.readingPaused()) {
            t.resumeReading();
        }
        LoopFuture<Void> w = loop.createFuture();
        waiter = w;
        try {
            Async.await(w);
        } finally {
            waiter = null;
        }
    }

    /** Waits once, letting arriving bytes go straight into {@code target}. */
    private void waitForData(String method, ByteBuffer target, boolean fill) throws Exception {
        checkNoWaiter(method);
        directTarget = target;
        directFill = fill;
        try {
            waitForData(method);
        } finally {
            directTarget = null;
        }
    }

    private static void checkWritable(ByteBuffer dst, String method) {
        if (Objects.requireNonNull(dst, "dst").isReadOnly()) {
            throw new IllegalArgumentException(method + "(ByteBuffer) needs a writable buffer; " + dst + " is read-only");
        }
    }

    private void checkConfined(String method) {
        if (!loop.inLoop()) {
            throw new IllegalStateException("StreamReader." + method + "() called from thread '"
                    + Thread.currentThread().getName() + "'; the reader is confined to event loop '" + loop.name()
                    + "': call it from a task of that loop");
        }
    }

    @Override
    public String toString() {
        return "StreamReader[" + buffer.size() + " bytes buffered" + (eof ? ", eof" : "")
                + (exception != null ? ", failed: " + exception : "") + (transport != null ? ", " + transport : "") + "]";
    }
}
