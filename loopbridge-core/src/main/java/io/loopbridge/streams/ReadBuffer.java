package io.loopbridge.streams;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The bytes a {@link StreamReader} holds, oldest first: a queue of byte arrays. The bytes of
 * one socket read become an array of exactly their size when the buffer was empty or they
 * are {@value #SHARED} bytes or more, so a read that takes them whole gets that very array,
 * no copy; smaller reads behind others share arrays of {@value #SHARED} bytes. Taking part of
 * the bytes copies them out once, so bytes never move inside the buffer on their way.
 *
 * <p>Layout: only the first array has read bytes before {@link #headStart}, only the last
 * has room after {@link #tailEnd}; arrays in between are full. A search for a separator
 * wants the bytes in one array: {@link #contiguous()} merges them, into an array with room
 * for as much again, so bytes that keep trickling in while a line is incomplete are merged
 * an amortized constant number of times, as in a growing array.
 *
 * <p>Confined to its reader's loop.
 */
final class ReadBuffer {
    /** Size of the arrays small reads share. */
    static final int SHARED = 4096;

    private final ArrayDeque<byte[]> arrays = new ArrayDeque<>();
    private int headStart;
    private int tailEnd;
    private int size;

    /** Bytes held. */
    int size() {
        return size;
    }

    /** End of the held bytes in the first array. */
    private int headEnd() {
        return arrays.size() == 1 ? tailEnd : arrays.peekFirst().length;
    }

    /** Takes all of {@code src}'s remaining bytes. */
    void append(ByteBuffer src) {
        int n = src.remaining();
        if (n == 0) {
            return;
        }
        size += n;
        byte[] last = arrays.peekLast();
        if (last != null && tailEnd < last.length) {
            int k = Math.min(n, last.length - tailEnd);
            src.get(last, tailEnd, k);
            tailEnd += k;
            n -= k;
            if (n == 0) {
                return;
            }
        }
        byte[] a = new byte[arrays.isEmpty() || n >= SHARED ? n : SHARED];
        src.get(a, 0, n);
        if (arrays.isEmpty()) {
            headStart = 0;
        }
        arrays.addLast(a);
        tailEnd = n;
    }

    /** The first {@code n} bytes ({@code 0 < n <= size()}), removed: the first array itself when it is exactly them. */
    byte[] take(int n) {
        byte[] first = arrays.peekFirst();
        if (headStart == 0 && n == first.length && headEnd() == n) {
            removeFirst();
            size -= n;
            return first;
        }
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            first = arrays.peekFirst();
            int k = Math.min(n - off, headEnd() - headStart);
            System.arraycopy(first, headStart, out, off, k);
            off += k;
            consume(k);
        }
        return out;
    }

    /** Moves the first {@code n} bytes ({@code n <= size()}, {@code n <= dst.remaining()}) into {@code dst}. */
    void takeInto(ByteBuffer dst, int n) {
        while (n > 0) {
            int k = Math.min(n, headEnd() - headStart);
            dst.put(arrays.peekFirst(), headStart, k);
            n -= k;
            consume(k);
        }
    }

    /** Drops the first {@code n} bytes ({@code n <= size()}). */
    void discard(int n) {
        while (n > 0) {
            int k = Math.min(n, headEnd() - headStart);
            n -= k;
            consume(k);
        }
    }

    private void consume(int k) {
        headStart += k;
        size -= k;
        if (headStart == headEnd()) {
            removeFirst();
        }
    }

    private void removeFirst() {
        arrays.pollFirst();
        headStart = 0;
        if (arrays.isEmpty()) {
            tailEnd = 0;
        }
    }

    /** Puts {@code bytes} back in front of what is held (a failed read giving back what it took). */
    void prepend(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        byte[] all = new byte[bytes.length + size];
        System.arraycopy(bytes, 0, all, 0, bytes.length);
        int held = size;
        takeCopy(all, bytes.length, held);
        arrays.clear();
        arrays.add(all);
        headStart = 0;
        tailEnd = all.length;
        size = all.length;
    }

    /** Copies the first {@code n} held bytes to {@code out} at {@code off} without removing them. */
    private void takeCopy(byte[] out, int off, int n) {
        int start = headStart;
        for (byte[] a : arrays) {
            if (n == 0) {
                break;
            }
            int end = a == arrays.peekLast() ? tailEnd : a.length;
            int k = Math.min(n, end - start);
            System.arraycopy(a, start, out, off, k);
            off += k;
            n -= k;
            start = 0;
        }
    }

    /** Index (from the first held byte) of {@code sep} at or after {@code from}, or -1. */
    int indexOf(byte[] sep, int from) {
        if (size - from < sep.length) {
            return -1;
        }
        byte[] a = contiguous();
        byte first = sep[0];
        for (int i = headStart + from, last = tailEnd - sep.length; i <= last; i++) {
            if (a[i] == first && Arrays.equals(a, i, i + sep.length, sep, 0, sep.length)) {
                return i - headStart;
            }
        }
        return -1;
    }

    /** Whether the held bytes at {@code at} are {@code sep}. */
    boolean startsWith(byte[] sep, int at) {
        if (at + sep.length > size) {
            return false;
        }
        byte[] a = contiguous();
        int i = headStart + at;
        return Arrays.equals(a, i, i + sep.length, sep, 0, sep.length);
    }

    /** The one array holding every byte (from {@link #headStart} to {@link #tailEnd}); merges if needed. */
    private byte[] contiguous() {
        if (arrays.size() > 1) {
            byte[] all = new byte[Math.max(2 * size, SHARED)];
            takeCopy(all, 0, size);
            arrays.clear();
            arrays.add(all);
            headStart = 0;
            tailEnd = size;
        }
        return arrays.peekFirst();
    }

    @Override
    public String toString() {
        return "ReadBuffer[" + size + " bytes in " + arrays.size() + " arrays]";
    }
}
