package io.loopbridge.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ReadBuffer against a plain byte array doing the same, over many random operations. */
class ReadBufferTest {

    /** The model: the held bytes in one array. */
    static final class Model {
        byte[] bytes = new byte[0];

        void append(byte[] b) {
            byte[] n = Arrays.copyOf(bytes, bytes.length + b.length);
            System.arraycopy(b, 0, n, bytes.length, b.length);
            bytes = n;
        }

        byte[] take(int n) {
            byte[] out = Arrays.copyOf(bytes, n);
            bytes = Arrays.copyOfRange(bytes, n, bytes.length);
            return out;
        }

        void prepend(byte[] b) {
            byte[] n = Arrays.copyOf(b, b.length + bytes.length);
            System.arraycopy(bytes, 0, n, b.length, bytes.length);
            bytes = n;
        }

        int indexOf(byte[] sep, int from) {
            for (int i = from; i + sep.length <= bytes.length; i++) {
                if (Arrays.equals(bytes, i, i + sep.length, sep, 0, sep.length)) {
                    return i;
                }
            }
            return -1;
        }
    }

    @Test
    void behavesAsOneArrayUnderRandomAppendsTakesSearchesAndGiveBacks() {
        Random rnd = new Random(7);
        ReadBuffer buf = new ReadBuffer();
        Model model = new Model();
        int counter = 0;
        for (int op = 0; op < 20_000; op++) {
            int size = model.bytes.length;
            switch (rnd.nextInt(8)) {
                case 0, 1 -> {
                    int n = rnd.nextInt(4) == 0 ? ReadBuffer.SHARED + rnd.nextInt(70_000) : rnd.nextInt(300);
                    byte[] b = new byte[n];
                    for (int i = 0; i < n; i++) {
                        b[i] = (byte) (counter++ % 251); // a small alphabet, so separators are found
                    }
                    ByteBuffer src = rnd.nextBoolean() ? ByteBuffer.wrap(b) : ByteBuffer.allocateDirect(n).put(b).flip();
                    buf.append(src);
                    assertThat(src.hasRemaining()).isFalse();
                    model.append(b);
                }
                case 2 -> {
                    if (size > 0) {
                        int n = rnd.nextBoolean() ? 1 + rnd.nextInt(size) : Math.min(size, 1 + rnd.nextInt(300));
                        assertThat(buf.take(n)).isEqualTo(model.take(n));
                    }
                }
                case 3 -> {
                    int n = rnd.nextInt(size + 1);
                    ByteBuffer dst = rnd.nextBoolean() ? ByteBuffer.allocate(n + 5) : ByteBuffer.allocateDirect(n + 5);
                    dst.position(5);
                    buf.takeInto(dst, n);
                    byte[] got = new byte[n];
                    dst.get(5, got);
                    assertThat(got).isEqualTo(model.take(n));
                }
                case 4 -> {
                    int n = rnd.nextInt(Math.min(size, 500) + 1);
                    buf.discard(n);
                    model.take(n);
                }
                case 5 -> {
                    if (rnd.nextInt(10) == 0) {
                        byte[] b = new byte[rnd.nextInt(100)];
                        rnd.nextBytes(b);
                        buf.prepend(b);
                        model.prepend(b);
                    }
                }
                default -> {
                    byte[] sep;
                    if (size >= 3 && rnd.nextBoolean()) {
                        int at = rnd.nextInt(size - 2);
                        sep = Arrays.copyOfRange(model.bytes, at, at + 1 + rnd.nextInt(3));
                    } else {
                        sep = new byte[] {(byte) rnd.nextInt(256), (byte) rnd.nextInt(256)};
                    }
                    int from = size == 0 ? 0 : rnd.nextInt(size);
                    assertThat(buf.indexOf(sep, from)).isEqualTo(model.indexOf(sep, from));
                    int at = size == 0 ? 0 : rnd.nextInt(size);
                    assertThat(buf.startsWith(sep, at)).isEqualTo(model.indexOf(sep, at) == at);
                }
            }
            assertThat(buf.size()).isEqualTo(model.bytes.length);
        }
    }

    @Test
    void aTakeOfExactlyOneReadsBytesIsThatArrayAndSmallReadsShareArrays() {
        ReadBuffer buf = new ReadBuffer();
        byte[] big = new byte[64 * 1024];
        Arrays.fill(big, (byte) 1);
        buf.append(ByteBuffer.wrap(big));
        buf.append(ByteBuffer.wrap(big));
        byte[] first = buf.take(big.length);
        assertThat(first).isEqualTo(big).isNotSameAs(big);
        byte[] second = buf.take(big.length);
        assertThat(second).isEqualTo(big).isNotSameAs(first);
        assertThat(buf.size()).isZero();
        // Small reads behind another share one array, and come out in order.
        buf.append(ByteBuffer.wrap(new byte[] {1, 2}));
        for (int i = 3; i < 100; i++) {
            buf.append(ByteBuffer.wrap(new byte[] {(byte) i}));
        }
        assertThat(buf.toString()).contains("in 2 arrays");
        byte[] all = buf.take(99);
        for (int i = 0; i < 99; i++) {
            assertThat(all[i]).isEqualTo((byte) (i + 1));
        }
    }
}
