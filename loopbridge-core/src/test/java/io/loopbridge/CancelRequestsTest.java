package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The decision table of what pending cancellation requests raise at a suspension point. */
class CancelRequestsTest {

    /** Decides as {@link Timeout} does: a timeout only if no other request came after the block was entered. */
    static final class FakeTimeout implements CancelRequests.CancelScope {
        final String name;
        final int cancellingAtEnter;
        final List<Integer> asked = new ArrayList<>();
        final List<Long> expiryChecks = new ArrayList<>();
        final List<Throwable> raised = new ArrayList<>();

        FakeTimeout(String name, int cancellingAtEnter) {
            this.name = name;
            this.cancellingAtEnter = cancellingAtEnter;
        }

        @Override
        public Throwable cancellationRaised(int otherRequests) {
            asked.add(otherRequests);
            Throwable e = otherRequests <= cancellingAtEnter ? new TimeoutException(name) : null;
            raised.add(e);
            return e;
        }

        @Override
        public boolean hasDeadline() {
            return true;
        }

        @Override
        public void expireIfDue(long now) {
            expiryChecks.add(now);
        }
    }

    /** Raises its own exception whatever else is pending, as a failed TaskGroup does. */
    static final class FailingScope implements CancelRequests.CancelScope {
        final Throwable failure;
        int asked;

        FailingScope(Throwable failure) {
            this.failure = failure;
        }

        @Override
        public Throwable cancellationRaised(int otherRequests) {
            asked++;
            return failure;
        }
    }

    private static CancelRequests.Request plain(String message) {
        return new CancelRequests.Request(message, null);
    }

    private static CancelRequests.Request by(CancelRequests.CancelScope scope) {
        return new CancelRequests.Request(null, scope);
    }

    /** Enters a timeout scope the way Timeout does: it remembers the count at entry. */
    private static FakeTimeout enterTimeout(CancelRequests c, String name) {
        FakeTimeout t = new FakeTimeout(name, c.count());
        c.enter(t);
        return t;
    }

    // ---------------------------------------------------------------- plain requests

    @Test
    void withNoPendingRequestTheAwaitedFuturesOwnCancellationIsRaised() {
        CancelRequests c = new CancelRequests();
        CancelRequests.Raised r = c.raise("the future was cancelled by someone else");
        assertThat(r.exception()).isInstanceOf(CancelledException.class)
                .hasMessage("the future was cancelled by someone else");
        assertThat(r.morePending()).isFalse();
        assertThat(c.raised(r.exception())).as("not raised for a request of the task").isFalse();
    }

    @Test
    void aPlainRequestRaisesCancelledWithItsMessageOrElseTheFuturesMessage() {
        CancelRequests c = new CancelRequests();
        c.add(plain("stop"));
        assertThat(c.pendingMessage()).isEqualTo("stop");
        CancelRequests.Raised r = c.raise("future message");
        assertThat(r.exception()).isInstanceOf(CancelledException.class).hasMessage("stop");
        assertThat(r.morePending()).isFalse();
        assertThat(c.hasPending()).isFalse();
        assertThat(c.pendingMessage()).isNull();
        assertThat(c.count()).as("a raised request stays counted until withdrawn").isEqualTo(1);

        CancelRequests d = new CancelRequests();
        d.add(plain(null));
        assertThat(d.raise("future message").exception()).hasMessage("future message");
    }

    @Test
    void theLatestPlainMessageIsTheOneRaised() {
        CancelRequests c = new CancelRequests();
        c.add(plain("first"));
        c.add(plain("second"));
        assertThat(c.pendingMessage()).isEqualTo("second");
        assertThat(c.raise(null).exception()).hasMessage("second");
    }

    @Test
    void aPlainRequestWinsOverEveryScopeAndRaisesOneExceptionForAllPendingRequests() {
        for (boolean plainFirst : new boolean[] {true, false}) {
            CancelRequests c = new CancelRequests();
            FakeTimeout outer = enterTimeout(c, "outer");
            FailingScope group = new FailingScope(new IllegalStateException("child failed"));
            c.enter(group);
            FakeTimeout inner = enterTimeout(c, "inner");
            CancelRequests.Request p = plain("shutdown");
            if (plainFirst) {
                c.add(p);
            }
            CancelRequests.Request ro = by(outer);
            CancelRequests.Request rg = by(group);
            CancelRequests.Request ri = by(inner);
            c.add(ro);
            c.add(rg);
            c.add(ri);
            if (!plainFirst) {
                c.add(p);
            }

            CancelRequests.Raised r = c.raise(null);

            assertThat(r.exception()).isInstanceOf(CancelledException.class).hasMessage("shutdown");
            assertThat(r.morePending()).isFalse();
            assertThat(outer.asked).isEmpty();
            assertThat(inner.asked).isEmpty();
            assertThat(group.asked).isZero();
            for (CancelRequests.Request q : List.of(p, ro, rg, ri)) {
                assertThat(q.raisedAs).isSameAs(r.exception());
            }
            assertThat(c.hasPending()).isFalse();
            assertThat(c.raised(r.exception())).isTrue();
        }
    }

    // ---------------------------------------------------------------- scopes

    @Test
    void scopesRaiseOneAtATimeInnermostFirst() {
        for (boolean outerRequestedFirst : new boolean[] {true, false}) {
            CancelRequests c = new CancelRequests();
            FakeTimeout outer = enterTimeout(c, "outer");
            FakeTimeout inner = enterTimeout(c, "inner");
            CancelRequests.Request ro = by(outer);
            CancelRequests.Request ri = by(inner);
            if (outerRequestedFirst) {
                c.add(ro);
                c.add(ri);
            } else {
                c.add(ri);
                c.add(ro);
            }

            CancelRequests.Raised first = c.raise(null);
            assertThat(first.exception()).isInstanceOf(TimeoutException.class).hasMessage("inner");
            assertThat(first.morePending()).isTrue();
            assertThat(ri.raisedAs).isSameAs(first.exception());
            assertThat(ro.raisedAs).isNull();
            assertThat(inner.asked).as("the outer's pending request is raised on its own later: not counted")
                    .containsExactly(0);

            CancelRequests.Raised second = c.raise(null);
            assertThat(second.exception()).isInstanceOf(TimeoutException.class).hasMessage("outer");
            assertThat(second.morePending()).isFalse();
            assertThat(outer.asked).as("the inner's request is withdrawn before the outer block ends: not counted")
                    .containsExactly(0);
            assertThat(c.hasPending()).isFalse();
        }
    }

    @Test
    void anInnerFailedGroupRaisesItsFailureBeforeAnOuterTimeout() {
        CancelRequests c = new CancelRequests();
        FakeTimeout timeout = enterTimeout(c, "outer");
        IllegalStateException failure = new IllegalStateException("child failed");
        FailingScope group = new FailingScope(failure);
        c.enter(group);
        c.add(by(timeout));
        c.add(by(group));

        CancelRequests.Raised r = c.raise(null);
        assertThat(r.exception()).isSameAs(failure);
        assertThat(r.morePending()).isTrue();
        assertThat(c.raised(failure)).isTrue();
        assertThat(timeout.asked).isEmpty();
    }

    @Test
    void aScopeThatRaisesNothingOfItsOwnRaisesCancelled() {
        CancelRequests c = new CancelRequests();
        FailingScope quiet = new FailingScope(null);
        c.enter(quiet);
        c.add(by(quiet));
        CancelRequests.Raised r = c.raise("future message");
        assertThat(r.exception()).isInstanceOf(CancelledException.class).hasMessage("future message");
        assertThat(quiet.asked).isEqualTo(1);
    }

    // ---------------------------------------------------------------- when a timeout is the cause

    @Test
    void anExpiredTimeoutAloneRaisesTimeoutException() {
        CancelRequests c = new CancelRequests();
        FakeTimeout t = enterTimeout(c, "t");
        c.add(by(t));
        CancelRequests.Raised r = c.raise(null);
        assertThat(r.exception()).isInstanceOf(TimeoutException.class);
        assertThat(t.asked).containsExactly(0);
    }

    @Test
    void aRequestRaisedAfterTheTimeoutWasEnteredMakesItsExpiryACancellation() {
        CancelRequests c = new CancelRequests();
        FakeTimeout t = enterTimeout(c, "t");
        c.add(plain("outside"));
        CancelRequests.Raised caught = c.raise(null); // the task catches it and goes on, without uncancel
        assertThat(caught.exception()).isInstanceOf(CancelledException.class);

        c.add(by(t));
        CancelRequests.Raised r = c.raise("future message");
        assertThat(t.asked).containsExactly(1);
        assertThat(r.exception()).isInstanceOf(CancelledException.class).hasMessage("future message");
    }

    @Test
    void aRequestThatCameBeforeTheTimeoutWasEnteredDoesNotStopItsTimeoutException() {
        CancelRequests c = new CancelRequests();
        c.add(plain("earlier"));
        c.raise(null); // caught before the block, without uncancel: still counted
        FakeTimeout t = enterTimeout(c, "t");
        assertThat(t.cancellingAtEnter).isEqualTo(1);

        c.add(by(t));
        CancelRequests.Raised r = c.raise(null);
        assertThat(t.asked).containsExactly(1);
        assertThat(r.exception()).isInstanceOf(TimeoutException.class);
    }

    @Test
    void anOuterScopesRaisedRequestCountsForAnInnerTimeoutEnteredAfterIt() {
        CancelRequests c = new CancelRequests();
        FailingScope group = new FailingScope(new IllegalStateException("child failed"));
        c.enter(group);
        c.add(by(group));
        c.raise(null); // raised, its block still open
        FakeTimeout lateInner = enterTimeout(c, "late inner");
        c.add(by(lateInner));
        assertThat(c.raise(null).exception()).isInstanceOf(TimeoutException.class);
        assertThat(lateInner.asked).containsExactly(1);

        CancelRequests d = new CancelRequests();
        FakeTimeout earlyInner = new FakeTimeout("early inner", 0);
        FailingScope g2 = new FailingScope(new IllegalStateException("child failed"));
        d.enter(g2);
        d.enter(earlyInner);
        d.add(by(g2));
        d.raise(null); // the group's request was raised after the inner timeout was entered
        d.add(by(earlyInner));
        assertThat(d.raise("future message").exception()).isInstanceOf(CancelledException.class);
        assertThat(earlyInner.asked).containsExactly(1);
    }

    // ---------------------------------------------------------------- redeliver, withdraw, uncancel

    @Test
    void aSupersededExceptionMakesItsRequestsPendingAgain() {
        CancelRequests c = new CancelRequests();
        CancelRequests.Request a = plain("a");
        CancelRequests.Request b = plain("b");
        c.add(a);
        c.add(b);
        Throwable first = c.raise(null).exception();
        assertThat(c.hasPending()).isFalse();

        assertThat(c.redeliver(new CancelledException("unrelated"))).isFalse();
        assertThat(c.hasPending()).isFalse();

        assertThat(c.redeliver(first)).isTrue();
        assertThat(a.raisedAs).isNull();
        assertThat(b.raisedAs).isNull();
        assertThat(c.hasPending()).isTrue();
        assertThat(c.raised(first)).isFalse();
        assertThat(c.pendingMessage()).isEqualTo("b");
        Throwable second = c.raise(null).exception();
        assertThat(second).isInstanceOf(CancelledException.class).hasMessage("b").isNotSameAs(first);
        assertThat(c.redeliver(first)).isFalse();
    }

    @Test
    void redeliverTouchesOnlyTheRequestsRaisedAsThatException() {
        CancelRequests c = new CancelRequests();
        FakeTimeout outer = enterTimeout(c, "outer");
        FakeTimeout inner = enterTimeout(c, "inner");
        CancelRequests.Request ro = by(outer);
        CancelRequests.Request ri = by(inner);
        c.add(ro);
        c.add(ri);
        Throwable innerRaised = c.raise(null).exception();
        Throwable outerRaised = c.raise(null).exception();
        assertThat(c.redeliver(innerRaised)).isTrue();
        assertThat(ri.raisedAs).isNull();
        assertThat(ro.raisedAs).isSameAs(outerRaised);
    }

    @Test
    void withdrawRemovesOneRequestAndTellsWhetherAnyIsStillPending() {
        CancelRequests c = new CancelRequests();
        FakeTimeout t = enterTimeout(c, "t");
        CancelRequests.Request rt = by(t);
        c.add(rt);
        Throwable e = c.raise(null).exception();
        CancelRequests.Request later = plain("later");
        c.add(later);

        c.exit(t);
        assertThat(c.withdraw(rt)).as("the plain request is still pending").isTrue();
        assertThat(c.count()).isEqualTo(1);
        assertThat(c.raised(e)).as("withdrawn: its exception is no longer a cancellation of the task").isFalse();

        CancelRequests d = new CancelRequests();
        FakeTimeout t2 = enterTimeout(d, "t2");
        CancelRequests.Request r2 = by(t2);
        d.add(r2);
        d.raise(null);
        d.exit(t2);
        assertThat(d.withdraw(r2)).isFalse();
        assertThat(d.count()).isZero();
        assertThat(d.withdraw(r2)).as("withdrawing twice is harmless").isFalse();
    }

    @Test
    void uncancelWithdrawsTheLatestPlainRequestFirstThenTheLatestOfAny() {
        CancelRequests c = new CancelRequests();
        FakeTimeout t = enterTimeout(c, "t");
        FailingScope g = new FailingScope(new IllegalStateException());
        c.enter(g);
        CancelRequests.Request plainA = plain("a");
        CancelRequests.Request byT = by(t);
        CancelRequests.Request plainB = plain("b");
        CancelRequests.Request byG = by(g);
        for (CancelRequests.Request r : List.of(plainA, byT, plainB, byG)) {
            c.add(r);
        }
        assertThat(c.uncancel()).isEqualTo(3);
        assertThat(c.pendingMessage()).as("b went first").isEqualTo("a");
        assertThat(c.uncancel()).isEqualTo(2);
        assertThat(c.pendingMessage()).isNull();
        // Only scope requests left: the latest goes (the group's), then the timeout's.
        assertThat(c.uncancel()).isEqualTo(1);
        CancelRequests.Raised r = c.raise(null);
        assertThat(r.exception()).isInstanceOf(TimeoutException.class);
        assertThat(c.uncancel()).isZero();
        assertThat(c.hasPending()).isFalse();
        assertThat(c.uncancel()).isZero();
    }

    // ---------------------------------------------------------------- deadlines

    @Test
    void expireDueAsksOnlyTheOpenTimeouts() {
        CancelRequests c = new CancelRequests();
        c.expireDue(5); // nothing open: nothing to ask
        FakeTimeout a = enterTimeout(c, "a");
        FakeTimeout b = enterTimeout(c, "b");
        c.expireDue(10);
        assertThat(a.expiryChecks).containsExactly(10L);
        assertThat(b.expiryChecks).containsExactly(10L);

        c.exit(b);
        c.exit(new FakeTimeout("never entered", 0)); // must not make the open count wrong
        c.expireDue(20);
        assertThat(a.expiryChecks).containsExactly(10L, 20L);
        assertThat(b.expiryChecks).containsExactly(10L);

        c.exit(a);
        c.expireDue(30);
        assertThat(a.expiryChecks).containsExactly(10L, 20L);
    }

    // ---------------------------------------------------------------- the same rule through real tasks

    @Test
    void aRealTimeoutWhoseTaskWasCancelledInsideItsBlockRaisesCancelled() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            String outcome = loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                    me.cancel("from outside");
                    assertThatThrownBy(Async::checkpoint).isInstanceOf(CancelledException.class); // swallowed, no uncancel
                    Async.sleep(Duration.ofSeconds(5));
                    return "slept";
                } catch (TimeoutException e) {
                    return "timeout";
                } catch (CancelledException e) {
                    me.uncancel();
                    return "cancelled";
                }
            });
            assertThat(outcome).isEqualTo("cancelled");
        }
    }

    @Test
    void aRealTimeoutEnteredAfterACaughtCancellationStillRaisesTimeoutException() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            String outcome = loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                me.cancel("earlier");
                assertThatThrownBy(Async::checkpoint).isInstanceOf(CancelledException.class); // swallowed, no uncancel
                try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                    Async.sleep(Duration.ofSeconds(5));
                    return "slept";
                } catch (TimeoutException e) {
                    me.uncancel();
                    return "timeout";
                }
            });
            assertThat(outcome).isEqualTo("timeout");
        }
    }
}
