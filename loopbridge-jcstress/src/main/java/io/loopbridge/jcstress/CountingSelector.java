package io.loopbridge.jcstress;

import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A selector that only counts {@link #wakeup()} calls: handed to {@code Wakeup.prepareToSleep}
 * as the selector the loop is about to sleep in, it makes the wake-up decision observable
 * without a real sleep. (A real selector remembers a wake-up until its next select, so one
 * counted call is one sleep that will not happen.) Selecting on it is refused.
 */
final class CountingSelector extends Selector {
    private final AtomicInteger wakeups = new AtomicInteger();

    int wakeups() {
        return wakeups.get();
    }

    @Override
    public Selector wakeup() {
        wakeups.incrementAndGet();
        return this;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public SelectorProvider provider() {
        return SelectorProvider.provider();
    }

    @Override
    public Set<SelectionKey> keys() {
        return Set.of();
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        return Set.of();
    }

    @Override
    public int selectNow() {
        throw new UnsupportedOperationException("a CountingSelector only counts wake-ups");
    }

    @Override
    public int select(long timeout) {
        throw new UnsupportedOperationException("a CountingSelector only counts wake-ups");
    }

    @Override
    public int select() {
        throw new UnsupportedOperationException("a CountingSelector only counts wake-ups");
    }

    @Override
    public void close() {
    }
}
