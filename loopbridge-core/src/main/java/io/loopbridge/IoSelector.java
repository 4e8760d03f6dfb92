package io.loopbridge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;

/**
 * The loop's I/O readiness (asyncio's selector_events.py, the part below transports): a
 * {@link Selector} opened on first registration, one key per channel carrying its reader and
 * writer callbacks, and the select call that turns ready keys into ready callbacks.
 *
 * <p>Confined to its loop's thread.
 */
final class IoSelector {
    private final java.util.function.Supplier<String> loopName;
    private Selector selector;

    IoSelector(java.util.function.Supplier<String> loopName) {
        this.loopName = loopName;
    }

    /** A channel's registration: its reader and writer callbacks (asyncio keeps the same pair per fd). */
    private static final class IoWatch {
        Callback reader;
        Callback writer;
    }

    /** The selector, or null while nothing was ever registered. */
    Selector selectorOrNull() {
        return selector;
    }

    /** The selector, opened on first use (a loop without I/O never opens one). */
    Selector selector() {
        if (selector == null) {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new UncheckedIOException("could not open a selector for event loop '" + loopName.get() + "'", e);
            }
        }
        return selector;
    }

    /**
     * Selects (0: without waiting; negative: until woken) and appends the callbacks of ready
     * channels to {@code ready}.
     */
    void select(long millis, ArrayDeque<Callback> ready) throws IOException {
        if (millis == 0) {
            selector.selectNow(key -> onReady(key, ready));
        } else if (millis < 0) {
            selector.select(key -> onReady(key, ready));
        } else {
            selector.select(key -> onReady(key, ready), millis);
        }
    }

    private static void onReady(SelectionKey key, ArrayDeque<Callback> ready) {
        if (!(key.attachment() instanceof IoWatch w) || !key.isValid()) {
            return;
        }
        int ops = key.readyOps();
        if ((ops & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0 && w.reader != null) {
            ready.add(w.reader);
        }
        if ((ops & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0 && w.writer != null) {
            ready.add(w.writer);
        }
    }

    void setReader(SelectableChannel ch, Callback reader) {
        IoWatch w = watch(ch);
        w.reader = reader;
        updateInterest(ch, w);
    }

    void setWriter(SelectableChannel ch, Callback writer) {
        IoWatch w = watch(ch);
        w.writer = writer;
        updateInterest(ch, w);
    }

    private IoWatch watch(SelectableChannel ch) {
        Selector sel = selector();
        SelectionKey key = ch.keyFor(sel);
        if (key == null || !key.isValid()) {
            try {
                if (ch.isBlocking()) {
                    ch.configureBlocking(false);
                }
                if (key != null) {
                    // A cancelled key is deregistered at the next select.
                    sel.selectNow();
                }
                key = ch.register(sel, 0, new IoWatch());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot register " + ch + " with event loop '" + loopName.get() + "'", e);
            }
        }
        return (IoWatch) key.attachment();
    }

    /** Drops the reader or the writer of {@code channel}; the key goes when both are gone. */
    boolean unwatch(SelectableChannel channel, boolean reader) {
        if (selector == null) {
            return false;
        }
        SelectionKey key = channel.keyFor(selector);
        if (key == null || !key.isValid() || !(key.attachment() instanceof IoWatch w)
                || (reader ? w.reader : w.writer) == null) {
            return false;
        }
        if (reader) {
            w.reader = null;
        } else {
            w.writer = null;
        }
        updateInterest(channel, w);
        return true;
    }

    private void updateInterest(SelectableChannel ch, IoWatch w) {
        SelectionKey key = ch.keyFor(selector);
        if (key == null || !key.isValid()) {
            return;
        }
        int read = ch.validOps() & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT);
        int write = ch.validOps() & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT);
        int ops = (w.reader != null ? read : 0) | (w.writer != null ? write : 0);
        if (ops == 0) {
            key.cancel();
        } else {
            key.interestOps(ops);
        }
    }

    /** Channels registered and not cancelled (for leak checks). */
    /** Whether any channel is registered (cheap, unlike {@link #registeredChannelCount()}). */
    boolean hasChannels() {
        return selector != null && !selector.keys().isEmpty();
    }

    int registeredChannelCount() {
        if (selector == null) {
            return 0;
        }
        int n = 0;
        for (SelectionKey k : selector.keys()) {
            if (k.isValid()) {
                n++;
            }
        }
        return n;
    }

    /** Cancels every key and closes the selector. */
    void close() throws IOException {
        if (selector != null) {
            for (SelectionKey k : selector.keys()) {
                k.cancel();
            }
            selector.close();
        }
    }
}
