package io.loopbridge.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.EventLoop;
import io.loopbridge.TaskMode;
import io.loopbridge.internal.MpscQueue;
import io.loopbridge.internal.Wakeup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * No lost wake-up between a producer's post and the loop's sleep ({@link Wakeup} with the
 * loop's {@link MpscQueue}). The protocol under test, as the loop runs it: the loop announces
 * its sleep ({@code prepareToSleep}), re-checks its queue ({@code isEmpty}) and sleeps only if
 * it is empty; a producer offers first and calls {@code wake()} after. A lost wake-up is a loop
 * that decides to sleep while an element is queued and no wake-up is on its way.
 *
 * <p>The first two tests make that decision an outcome: the loop "sleeps" in a
 * {@link CountingSelector}, so the outcome says whether the loop saw the work and how many
 * wake-ups the producers sent. The termination tests sleep for real, in
 * {@code LockSupport.park} and in a real selector: a lost wake-up leaves the sleeper parked,
 * which jcstress reports as STALE.
 */
public final class WakeupStress {
    private WakeupStress() {
    }

    static final class Item extends MpscQueue.Node {
    }

    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the loop sees the posts and stays awake; no wake-up needed")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the loop sees the posts; one wake-up sent anyway (harmless)")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the loop would sleep; the producer wakes it once")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "LOST WAKE-UP: the loop sleeps with work queued")
    @Outcome(expect = FORBIDDEN, desc = "more than one wake-up for one sleep")
    @State
    public static class PostVersusSleep {
        final MpscQueue<Item> queue = new MpscQueue<>();
        final Wakeup wakeup = new Wakeup();
        final CountingSelector selector = new CountingSelector();

        /** Two posts in a row, as callSoonThreadsafe does them: offer, then wake. */
        @Actor
        public void producer() {
            queue.offer(new Item());
            wakeup.wake();
            queue.offer(new Item());
            wakeup.wake();
        }

        @Actor
        public void loop(II_Result r) {
            wakeup.prepareToSleep(Thread.currentThread(), selector);
            r.r1 = queue.isEmpty() ? 0 : 1;
        }

        @Arbiter
        public void wakeups(II_Result r) {
            r.r2 = selector.wakeups();
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 1, 0", "0, 1, 1", "1, 1, 0", "1, 1, 1"}, expect = ACCEPTABLE,
            desc = "the second sleep sees the post")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "the second sleep would happen; the producer wakes it")
    @Outcome(id = "0, 0, 0", expect = FORBIDDEN, desc = "LOST WAKE-UP: the loop sleeps again with work queued")
    @Outcome(id = "1, 0, .*", expect = FORBIDDEN, desc = "the queued work vanished between two checks")
    @Outcome(expect = FORBIDDEN, desc = "more than one wake-up for one post")
    @State
    public static class WokenThenSleepsAgain {
        final MpscQueue<Item> queue = new MpscQueue<>();
        final Wakeup wakeup = new Wakeup();
        final CountingSelector selector = new CountingSelector();

        @Actor
        public void producer() {
            queue.offer(new Item());
            wakeup.wake();
        }

        /** A sleep that ends for another reason (a timer, I/O), then the next sleep. */
        @Actor
        public void loop(III_Result r) {
            Thread me = Thread.currentThread();
            wakeup.prepareToSleep(me, selector);
            r.r1 = queue.isEmpty() ? 0 : 1;
            wakeup.awake();
            wakeup.prepareToSleep(me, selector);
            r.r2 = queue.isEmpty() ? 0 : 1;
        }

        @Arbiter
        public void wakeups(III_Result r) {
            r.r3 = selector.wakeups();
        }
    }

    /**
     * The park path with a real park, on a fresh thread per round: the loop's sleep protocol
     * around {@code LockSupport.park}, as {@code SelectorEventLoop} runs it without a selector.
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the post woke the parked loop")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "LOST WAKE-UP: the loop stays parked with work queued")
    @Outcome(expect = FORBIDDEN, desc = "the loop failed")
    @State
    public static class ParkedSleeper {
        final MpscQueue<Item> queue = new MpscQueue<>();
        final Wakeup wakeup = new Wakeup();

        @Actor
        public void loop() {
            Thread me = Thread.currentThread();
            while (true) {
                wakeup.prepareToSleep(me, null);
                try {
                    if (!queue.isEmpty()) {
                        return;
                    }
                    LockSupport.park(this); // may return spuriously: then the loop checks again
                } finally {
                    wakeup.awake();
                }
            }
        }

        @Signal
        public void post() {
            queue.offer(new Item());
            wakeup.wake();
        }
    }

    /**
     * The whole loop, through the public API: an idle loop with no I/O (it parks, no idle spin)
     * must run a callback posted from another thread.
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the posted callback ran and stopped the loop")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "LOST WAKE-UP: the loop sleeps with a callback queued")
    @Outcome(expect = FORBIDDEN, desc = "the loop failed")
    @State
    public static class ParkedLoop {
        final EventLoop loop = EventLoop.builder().name("jcstress-parked").taskMode(TaskMode.PORTABLE)
                .idleSpin(Duration.ZERO).build();

        @Actor
        public void runLoop() {
            try {
                loop.runForever();
            } finally {
                loop.close();
            }
        }

        @Signal
        public void post() {
            loop.callSoonThreadsafe(loop::stop);
        }
    }

    /**
     * As {@link ParkedLoop}, for a loop with a channel: it sleeps in {@code Selector.select} and
     * is woken by {@code Selector.wakeup()}.
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the posted callback ran and stopped the loop")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "LOST WAKE-UP: the loop selects with a callback queued")
    @Outcome(expect = FORBIDDEN, desc = "the loop failed")
    @State
    public static class SelectingLoop {
        final EventLoop loop = EventLoop.builder().name("jcstress-selecting").taskMode(TaskMode.PORTABLE)
                .idleSpin(Duration.ZERO).build();
        final Pipe pipe;

        public SelectingLoop() {
            try {
                pipe = Pipe.open();
                pipe.source().configureBlocking(false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // Never readable: it only makes the loop open a selector and sleep in it.
            loop.addReader(pipe.source(), () -> { });
        }

        @Actor
        public void runLoop() throws IOException {
            try {
                loop.runForever();
            } finally {
                loop.removeReader(pipe.source());
                loop.close();
                pipe.source().close();
                pipe.sink().close();
            }
        }

        @Signal
        public void post() {
            loop.callSoonThreadsafe(loop::stop);
        }
    }
}
