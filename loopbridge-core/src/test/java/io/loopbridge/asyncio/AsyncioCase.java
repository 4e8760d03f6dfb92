package io.loopbridge.asyncio;

import io.loopbridge.EventLoop;
import io.loopbridge.VirtualClock;
import java.util.concurrent.Callable;

/**
 * What the ported CPython test cases share: asyncio's {@code test_utils.TestCase} loops,
 * built from loopbridge's public API only, so that this package tests the contract a user
 * sees. Time passes on a {@link VirtualClock}, never by sleeping: an idle loop jumps its
 * clock to the next timer, as asyncio's {@code TestLoop} does with its time generator.
 */
final class AsyncioCase {
    private AsyncioCase() {
    }

    /** A loop on an auto-advancing virtual clock (asyncio's {@code TestLoop}). */
    static EventLoop newLoop() {
        return EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
    }

    /** A loop on a clock that moves only when the test advances it. */
    static EventLoop newLoop(VirtualClock clock) {
        return EventLoop.builder().clock(clock).build();
    }

    /** A loop on the system clock, for cases that cross threads (no timers involved). */
    static EventLoop newRealLoop() {
        return EventLoop.create();
    }

    /**
     * {@code self.loop.run_until_complete(main())} on a fresh virtual-time loop that is closed
     * afterwards (asyncio.run in virtual time).
     */
    static <T> T runInVirtualTime(Callable<T> main) throws Exception {
        try (EventLoop loop = newLoop()) {
            return loop.runUntilComplete(main);
        }
    }

    /** Seconds on the loop's clock, as asyncio's {@code loop.time()} reads. */
    static double seconds(EventLoop loop) {
        return loop.time() / 1e9;
    }
}
