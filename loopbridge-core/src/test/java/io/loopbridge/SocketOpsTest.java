package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The raw socket awaitables: each works, and none leaves a registration behind when it ends badly. */
class SocketOpsTest {

    static ServerSocketChannel listener() throws Exception {
        ServerSocketChannel l = ServerSocketChannel.open();
        l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return l;
    }

    static int registered() {
        return EventLoop.current().stats().channels();
    }

    /** A connected pair: [client, server side]. */
    static SocketChannel[] pair(ServerSocketChannel l) throws Exception {
        EventLoop loop = EventLoop.current();
        LoopFuture<SocketChannel> accepted = loop.sockAccept(l);
        SocketChannel c = SocketChannel.open();
        Async.await(loop.sockConnect(c, l.getLocalAddress()));
        return new SocketChannel[] {c, Async.await(accepted)};
    }

    @Test
    void acceptConnectSendAllAndRecvCarryBytesBothWays() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            try (ServerSocketChannel l = listener()) {
                SocketChannel[] p = pair(l);
                try (SocketChannel c = p[0]; SocketChannel s = p[1]) {
                    Async.await(loop.sockSendAll(c, ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII))));
                    ByteBuffer in = ByteBuffer.allocate(16);
                    while (in.position() < 4) {
                        assertThat(Async.await(loop.sockRecv(s, in))).isPositive();
                    }
                    assertThat(new String(in.array(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("ping");
                    c.shutdownOutput();
                    assertThat(Async.await(loop.sockRecv(s, in))).isEqualTo(-1);
                    assertThat(Async.await(loop.sockRecv(s, ByteBuffer.allocate(0)))).isZero();
                    assertThat(registered()).isZero();
                }
            }
            return null;
        });
    }

    @Test
    void cancellingAPendingRecvOrAcceptRemovesItsRegistration() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            try (ServerSocketChannel l = listener()) {
                SocketChannel[] p = pair(l);
                try (SocketChannel c = p[0]; SocketChannel s = p[1]) {
                    Task<Integer> recv = Async.spawn(() -> Async.await(loop.sockRecv(s, ByteBuffer.allocate(8))));
                    Task<SocketChannel> accept = Async.spawn(() -> Async.await(loop.sockAccept(l)));
                    Async.checkpoint();
                    assertThat(registered()).isEqualTo(2);
                    recv.cancel("test");
                    accept.cancel("test");
                    assertThatThrownBy(() -> Async.await(recv)).isInstanceOf(CancelledException.class);
                    assertThatThrownBy(() -> Async.await(accept)).isInstanceOf(CancelledException.class);
                    assertThat(registered()).isZero();
                    // The channel is still usable afterwards.
                    Async.await(loop.sockSendAll(c, ByteBuffer.wrap(new byte[] {7})));
                    ByteBuffer one = ByteBuffer.allocate(1);
                    assertThat(Async.await(loop.sockRecv(s, one))).isEqualTo(1);
                    assertThat(one.get(0)).isEqualTo((byte) 7);
                }
            }
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void aRefusedConnectFailsWithConnectExceptionAndLeavesNothingRegistered() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            java.net.SocketAddress closedPort;
            try (ServerSocketChannel l = listener()) {
                closedPort = l.getLocalAddress();
            }
            try (SocketChannel c = SocketChannel.open()) {
                assertThatThrownBy(() -> Async.await(loop.sockConnect(c, closedPort)))
                        .isInstanceOf(ConnectException.class);
            }
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void aSendAllThatCanNeverFinishEndsByTimeoutWithoutARegistration() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            try (ServerSocketChannel l = listener()) {
                SocketChannel[] p = pair(l);
                try (SocketChannel c = p[0]; SocketChannel s = p[1]) {
                    ByteBuffer big = ByteBuffer.allocate(64 << 20);
                    assertThatThrownBy(() -> {
                        try (Timeout t = Async.timeout(Duration.ofMillis(200))) {
                            Async.await(loop.sockSendAll(c, big));
                        }
                    }).isInstanceOf(TimeoutException.class);
                    assertThat(big.position()).isPositive().isLessThan(big.capacity());
                    assertThat(registered()).isZero();
                }
            }
            return null;
        });
    }

    @Test
    void badArgumentsAreRefusedClearly() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            try (SocketChannel c = SocketChannel.open()) {
                assertThatThrownBy(() -> loop.sockRecv(c, ByteBuffer.allocate(4).asReadOnlyBuffer()))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
                assertThatThrownBy(() -> loop.sockSendAll(c, null)).isInstanceOf(NullPointerException.class);
            }
            return null;
        });
    }

}
