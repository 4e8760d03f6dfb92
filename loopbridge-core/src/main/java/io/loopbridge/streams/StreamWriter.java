package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The sending half of a stream connection (asyncio's StreamWriter). {@link #write} never
 * blocks: what the socket does not take at once is buffered. {@link #drain} is the
 * back-pressure point: it suspends the task while more than the high-water mark (64 KiB by
 * default) is buffered, and resumes it once the buffer is down to the low-water mark (16 KiB),
 * so a producer that writes then drains to a slow peer waits instead of growing memory.
 *
 * <pre>{@code
 * for (byte[] chunk : chunks) {
 *     writer.write(chunk);
 *     writer.drain();          // waits here while the peer is slow
 * }
 * writer.close();
 * writer.awaitClosed();
 * }</pre>
 *
 * <p>Memory: bytes the socket does not take at once wait in direct buffers the loop's
 * connections share (a bounded pool; past it, on the heap), so the caller's bytes are
 * copied once at most, and not at all when a direct buffer goes out whole.
 *
 * <p>Errors: a write to a connection that failed is dropped; the failure (reset, broken
 * pipe, ...) is thrown as an {@link java.io.IOException} by the next {@link #drain} and by
 * {@link #awaitClosed}. Once this side closed the connection, {@link #drain} throws a
 * {@link java.net.SocketException} (as asyncio's {@code drain()} raises once the connection is
 * lost), and so does a drain waiting when {@link #abort} dropped the buffered bytes. Writing
 * after {@link #close} or {@link #writeEof} is a bug and throws {@link IllegalStateException}.
 *
 * <p>Confined to its loop: call its methods from the loop's thread (a task or callback of the
 * loop the connection was opened on); {@link #drain} and {@link #awaitClosed} from a task.
 */
public final class StreamWriter {
    final SocketTransport transport;

    StreamWriter(SocketTransport transport) {
        this.transport = transport;
    }

    /** Sends {@code data}, buffering whatever the socket cannot take now. The array may be reused afterwards. */
    public void write(byte[] data) {
        write(data, 0, data.length);
    }

    /** Sends {@code len} bytes of {@code data} from {@code off}; see {@link #write(byte[])}. */
    public void write(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        checkConfined("write");
        transport.write(ByteBuffer.wrap(data, off, len));
    }

    /**
     * Sends {@code src}'s remaining bytes, buffering whatever the socket cannot take now, and
     * consumes them ({@code src}'s position ends at its limit). The buffer may be reused
     * afterwards. A direct buffer goes straight to the socket when nothing is buffered, and
     * only the bytes the socket leaves are copied.
     */
    public void write(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        checkConfined("write");
        transport.write(src);
    }

    /**
     * Waits while more than the high-water mark is buffered (returns at once otherwise), until
     * the low-water mark. While {@link #close} still flushes the buffered bytes (called by this
     * task or another), it waits as on an open connection and returns as they go out; once the
     * connection is closed it throws, as asyncio's {@code drain()} raises after the connection
     * is lost.
     *
     * @throws java.io.IOException      if the connection failed (reset by the peer, broken pipe, ...)
     * @throws java.net.SocketException if this side had closed the connection ({@link #close}
     *                                  done, or {@link #abort}) when drain was called, or
     *                                  {@link #abort} dropped the bytes it waited for
     */
    public void drain() throws Exception {
        checkConfined("drain");
        transport.drain();
    }

    /** Bytes written but not yet handed to the socket. */
    public long writeBufferSize() {
        return transport.writeBufferSize();
    }

    /**
     * Sets the marks {@link #drain} uses: it waits while more than {@code high} bytes are
     * buffered, until at most {@code low} are.
     */
    public void setWriteBufferLimits(int high, int low) {
        checkConfined("setWriteBufferLimits");
        transport.setWriteBufferLimits(high, low);
    }

    /**
     * Half-closes: sends end of stream once the buffered data is out, while reading goes on.
     * Later writes throw {@link IllegalStateException}.
     */
    public void writeEof() {
        checkConfined("writeEof");
        transport.writeEof();
    }

    /**
     * Closes the connection once the buffered data has been written (both directions; the
     * reader then sees end of stream). Idempotent. {@link #awaitClosed} waits for it.
     */
    public void close() {
        checkConfined("close");
        transport.close();
    }

    /** Closes the connection now, dropping buffered data. Idempotent. */
    public void abort() {
        checkConfined("abort");
        transport.abort();
    }

    /** True once {@link #close}, {@link #abort} or a connection failure has begun closing it. */
    public boolean isClosing() {
        return transport.isClosing();
    }

    /**
     * Waits until the socket is closed (after {@link #close}, that is after the flush).
     *
     * @throws java.io.IOException if the connection failed (reset by the peer, ...): the same
     *                             failure the reader and {@link #drain} throw
     */
    public void awaitClosed() throws Exception {
        Async.await(transport.closed);
    }

    /** The peer's address (still known after closing). */
    public InetSocketAddress remoteAddress() {
        return transport.remoteAddress;
    }

    /** This end's address (still known after closing). */
    public InetSocketAddress localAddress() {
        return transport.localAddress;
    }

    private void checkConfined(String method) {
        EventLoop loop = transport.loop;
        if (!loop.inLoop()) {
            throw new IllegalStateException("StreamWriter." + method + "() called from thread '"
                    + Thread.currentThread().getName() + "'; the writer is confined to event loop '" + loop.name()
                    + "': call it from a task or callback of that loop");
        }
    }

    @Override
    public String toString() {
        return "StreamWriter[" + transport + ", " + transport.writeBufferSize() + " bytes buffered]";
    }
}
