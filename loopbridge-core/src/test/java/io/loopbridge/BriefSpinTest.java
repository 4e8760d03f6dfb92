package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class BriefSpinTest {

    @Test
    void aPlatformThreadSeesAnAnswerGivenWhileItPolls() throws Exception {
        Assumptions.assumeTrue(BriefSpin.NANOS > 0, "spinning is off on one CPU");
        for (int i = 0; i < 200; i++) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger polls = new AtomicInteger();
            Thread answer = Thread.ofPlatform().start(() -> done.set(true));
            boolean seen = BriefSpin.until(() -> {
                polls.incrementAndGet();
                return done.get();
            });
            answer.join();
            // Within the bound it was either seen, or the bound passed first: then it says false.
            assertThat(seen || polls.get() > 1).isTrue();
            assertThat(BriefSpin.until(done::get)).isTrue();
        }
    }

    @Test
    void anAnswerThatNeverComesEndsThePollingWithFalse() {
        AtomicInteger polls = new AtomicInteger();
        assertThat(BriefSpin.until(() -> {
            polls.incrementAndGet();
            return false;
        })).isFalse();
        assertThat(polls.get()).isPositive();
    }

    @Test
    void aVirtualThreadAndAPastDeadlineAskOnce() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        Thread v = Thread.ofVirtual().start(() -> BriefSpin.until(() -> {
            polls.incrementAndGet();
            return false;
        }));
        v.join();
        assertThat(polls.get()).as("a virtual thread parks at once").isEqualTo(1);
        polls.set(0);
        assertThat(BriefSpin.until(() -> {
            polls.incrementAndGet();
            return false;
        }, System.nanoTime() - 1)).isFalse();
        assertThat(polls.get()).as("a deadline already past").isLessThanOrEqualTo(2);
    }
}
