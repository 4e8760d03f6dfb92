package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Cross-thread posts (a future's done-callbacks, a cleaner's report, a task's wake-up) racing
 * the loop's close: each one runs, or is handed to its {@code dropped} hook (logged), and none
 * stays behind in the loop's queue unseen. Many loops, two posting threads each, exact counts.
 */
class PostRacingCloseTest {

    private static final int LOOPS = 400;
    private static final int POSTERS = 2;
    /** Posts per thread and loop at most (the flood must not outgrow the heap). */
    private static final int MAX_POSTS = 20_000;

    /** A post that counts where it ended: run, or dropped (instead of a log line per post). */
    private static final class Counted extends Callback {
        private final AtomicLong dropped;

        Counted(AtomicLong ran, AtomicLong dropped) {
            super(ran::incrementAndGet, null);
            this.dropped = dropped;
        }

        @Override
        boolean dropped() {
            dropped.incrementAndGet();
            return true;
        }
    }

    @Test
    void everyPostRacingCloseRunsOrIsDroppedVisibly() throws Exception {
        long posted = 0;
        AtomicLong ran = new AtomicLong();
        AtomicLong dropped = new AtomicLong();
        long left = 0;
        for (int i = 0; i < LOOPS; i++) {
            EventLoop loop = EventLoop.create();
            Loop internal = Loop.of(loop);
            CountDownLatch go = new CountDownLatch(1);
            AtomicLong[] counts = new AtomicLong[POSTERS];
            List<Thread> posters = new ArrayList<>();
            for (int p = 0; p < POSTERS; p++) {
                AtomicLong count = new AtomicLong();
                counts[p] = count;
                posters.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    while (!loop.isClosed() && count.get() < MAX_POSTS) {
                        internal.post(new Counted(ran, dropped));
                        count.incrementAndGet();
                    }
                    // One more after the loop said closed: it must not vanish either.
                    internal.post(new Counted(ran, dropped));
                    count.incrementAndGet();
                }));
            }
            go.countDown();
            loop.close();
            for (Thread t : posters) {
                t.join();
            }
            for (AtomicLong c : counts) {
                posted += c.get();
            }
            left += queued(loop);
        }
        assertThat(left).as("posts left in closed loops' queues, neither run nor dropped").isZero();
        assertThat(ran.get() + dropped.get()).as("run + dropped, of %d posted", posted).isEqualTo(posted);
    }

    /** Callbacks still linked in the loop's cross-thread queue. */
    private static long queued(EventLoop loop) throws ReflectiveOperationException {
        Field f = SelectorEventLoop.class.getDeclaredField("incoming");
        f.setAccessible(true);
        io.loopbridge.internal.MpscQueue<?> q = (io.loopbridge.internal.MpscQueue<?>) f.get(loop);
        long n = 0;
        while (q.poll() != null) {
            n++;
        }
        return n;
    }
}
