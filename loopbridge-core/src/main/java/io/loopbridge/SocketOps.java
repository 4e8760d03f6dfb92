package io.loopbridge;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * The low-level socket awaitables behind {@link EventLoop#sockAccept}, {@link EventLoop#sockConnect},
 * {@link EventLoop#sockRecv} and {@link EventLoop#sockSendAll} (asyncio's sock_* methods).
 *
 * <p>Each operation tries the channel once at once; only if it would block does it register a
 * reader or writer, which it removes as soon as its future is done, however it got done
 * (success, failure or cancellation). So a cancelled or failed operation leaves no
 * registration behind. Loop only.
 */
final class SocketOps {
    private SocketOps() {
    }

    /** One non-blocking attempt; returns true once the future has been completed. */
    private interface Attempt {
        boolean run() throws IOException;
    }

    static LoopFuture<SocketChannel> accept(EventLoop loop, ServerSocketChannel listener) {
        Objects.requireNonNull(listener, "listener");
        LoopFuture<SocketChannel> f = loop.createFuture();
        return whenReady(loop, listener, false, f, () -> {
            SocketChannel ch = listener.accept();
            if (ch == null) {
                return false;
            }
            try {
                ch.configureBlocking(false);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            if (!f.complete(ch)) {
                ch.close();
            }
            return true;
        });
    }

    static LoopFuture<Void> connect(EventLoop loop, SocketChannel channel, SocketAddress remote) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(remote, "remote");
        LoopFuture<Void> f = loop.createFuture();
        boolean[] started = {false};
        return whenReady(loop, channel, true, f, () -> {
            boolean done;
            if (!started[0]) {
                started[0] = true;
                done = channel.connect(remote);
            } else {
                done = channel.finishConnect();
            }
            if (done) {
                f.complete(null);
            }
            return done;
        });
    }

    static LoopFuture<Integer> recv(EventLoop loop, SocketChannel channel, ByteBuffer dst) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("sockRecv needs a writable buffer; got a read-only one");
        }
        LoopFuture<Integer> f = loop.createFuture();
        if (!dst.hasRemaining()) {
            f.complete(0);
            return f;
        }
        return whenReady(loop, channel, false, f, () -> {
            int n = channel.read(dst);
            if (n == 0) {
                return false;
            }
            f.complete(n);
            return true;
        });
    }

    static LoopFuture<Void> sendAll(EventLoop loop, SocketChannel channel, ByteBuffer src) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(src, "src");
        LoopFuture<Void> f = loop.createFuture();
        return whenReady(loop, channel, true, f, () -> {
            while (src.hasRemaining()) {
                if (channel.write(src) == 0) {
                    return false;
                }
            }
            f.complete(null);
            return true;
        });
    }

    private static <T> LoopFuture<T> whenReady(EventLoop loop, SelectableChannel ch, boolean forWrite,
                                               LoopFuture<T> f, Attempt attempt) {
        Loop.of(loop).checkConfined(forWrite ? "sockConnect/sockSendAll" : "sockAccept/sockRecv");
        try {
            if (ch.isBlocking()) {
                ch.configureBlocking(false);
            }
            if (attempt.run()) {
                return f;
            }
        } catch (IOException | RuntimeException e) {
            f.completeExceptionally(e);
            return f;
        }
        Registration reg = new Registration(loop, ch, forWrite);
        Runnable onReady = () -> {
            if (f.isDone()) {
                reg.remove();
                return;
            }
            try {
                attempt.run();
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        };
        if (forWrite) {
            loop.addWriter(ch, onReady);
        } else {
            loop.addReader(ch, onReady);
        }
        f.addListener(reg);
        return f;
    }

    /** Removes the reader or writer once the future is done: inline on the loop, else posted to it. */
    private static final class Registration implements LoopFuture.DoneListener {
        private final EventLoop loop;
        private final SelectableChannel channel;
        private final boolean forWrite;
        private boolean removed;

        Registration(EventLoop loop, SelectableChannel channel, boolean forWrite) {
            this.loop = loop;
            this.channel = channel;
            this.forWrite = forWrite;
        }

        @Override
        public void futureDone(LoopFuture<?> future) {
            if (loop.inLoop()) {
                remove();
                return;
            }
            try {
                loop.callSoonThreadsafe(this::remove);
            } catch (RejectedExecutionException closed) {
                // A closed loop has already cancelled every selection key.
            }
        }

        void remove() {
            if (removed || loop.isClosed()) {
                return;
            }
            removed = true;
            if (forWrite) {
                loop.removeWriter(channel);
            } else {
                loop.removeReader(channel);
            }
        }
    }
}
