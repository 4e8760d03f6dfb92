package io.loopbridge;

import java.util.ArrayList;
import java.util.concurrent.TimeoutException;

/**
 * A task's cancellation requests and the scopes that made them (asyncio's
 * {@code Task.cancelling()} count, done so that no request overwrites another's): each
 * request is a record, plain from {@link Task#cancel} or made by a scope of the task (an
 * expired {@link Timeout}, a {@link TaskGroup} whose child failed), which withdraws its own
 * when its block ends. {@link #raise} is the one place that decides what pending requests
 * raise at a suspension point. Created on a task's first request or scope; confined to the
 * task's loop.
 */
final class CancelRequests {

    /**
     * A block of a task's code that may cancel the task and raise its own exception at the
     * task's suspension point instead of {@link CancelledException}. Scopes nest: innermost last.
     */
    interface CancelScope {
        /**
         * The exception to raise for this scope's request, or null for {@link CancelledException}.
         *
         * @param otherRequests the task's requests still pending once this scope and the ones
         *                      inside it have withdrawn theirs (asyncio's {@code uncancel()}
         *                      result at the block's exit)
         */
        Throwable cancellationRaised(int otherRequests);

        /** Whether the scope has a deadline, checked at every suspension point. */
        default boolean hasDeadline() {
            return false;
        }

        /** A scope with a deadline expires now if it has passed. */
        default void expireIfDue(long now) {
        }
    }

    /** One request; {@link #raisedAs} is what it was raised as at a suspension point, null while pending. */
    static final class Request {
        final String message;
        final CancelScope owner;
        Throwable raisedAs;

        Request(String message, CancelScope owner) {
            this.message = message;
            this.owner = owner;
        }
    }

    private final ArrayList<Request> requests = new ArrayList<>(2);
    /** Open scopes, innermost last. */
    private final ArrayList<CancelScope> scopes = new ArrayList<>(2);
    private int openTimeouts;

    int count() {
        return requests.size();
    }

    void add(Request r) {
        requests.add(r);
    }

    /** Withdraws a scope's request; returns whether one is still pending (not raised yet). */
    boolean withdraw(Request r) {
        requests.remove(r);
        return hasPending();
    }

    /**
     * Withdraws one request, the latest plain one if any, else the latest (asyncio's
     * {@code uncancel}); returns the count left.
     */
    int uncancel() {
        if (requests.isEmpty()) {
            return 0;
        }
        int victim = requests.size() - 1;
        for (int i = victim; i >= 0; i--) {
            if (requests.get(i).owner == null) {
                victim = i;
                break;
            }
        }
        requests.remove(victim);
        return requests.size();
    }

    boolean hasPending() {
        for (Request r : requests) {
            if (r.raisedAs == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * The pending requests were handed to an awaited task that ended without being cancelled:
     * each is spent, as if raised (with an exception of its own that nobody sees, so that no
     * {@link #redeliver} or {@link #raised} matches it); each still counts.
     */
    void absorbPending() {
        for (Request r : requests) {
            if (r.raisedAs == null) {
                r.raisedAs = new CancelledException("absorbed by the awaited task, which did not end cancelled");
            }
        }
    }

    /**
     * An exception raised for requests was superseded by a scope's own (a failed TaskGroup
     * raises its failure instead): those requests are pending again, as asyncio's re-cancel in
     * {@code TaskGroup.__aexit__} makes them. Returns whether any was.
     */
    boolean redeliver(Throwable superseded) {
        boolean any = false;
        for (Request r : requests) {
            if (r.raisedAs == superseded) {
                r.raisedAs = null;
                any = true;
            }
        }
        return any;
    }

    /** Whether {@code e} was raised for one of the pending requests. */
    boolean raised(Throwable e) {
        for (Request r : requests) {
            if (r.raisedAs == e) {
                return true;
            }
        }
        return false;
    }

    /** The message of the latest plain request not raised yet (asyncio's _cancel_message). */
    String pendingMessage() {
        for (int i = requests.size() - 1; i >= 0; i--) {
            Request r = requests.get(i);
            if (r.owner == null && r.raisedAs == null) {
                return r.message;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- scopes

    void enter(CancelScope s) {
        scopes.add(s);
        if (s.hasDeadline()) {
            openTimeouts++;
        }
    }

    void exit(CancelScope s) {
        if (scopes.remove(s) && s.hasDeadline()) {
            openTimeouts--;
        }
    }

    /** At a suspension point: every open timeout whose deadline has passed expires now. */
    void expireDue(long now) {
        if (openTimeouts == 0) {
            return;
        }
        for (int i = 0; i < scopes.size(); i++) {
            scopes.get(i).expireIfDue(now);
        }
    }

    // ---------------------------------------------------------------- deciding what is raised

    /**
     * Raises pending requests now; {@code futureMessage} is the message of the awaited future's
     * cancellation, if that is what woke the task. A plain request wins and raises
     * {@link CancelledException} for all pending ones. Otherwise the innermost scope with a
     * pending request decides what its request raises; the others stay pending for the next
     * suspension point, one at a time, innermost first. Returns the exception and whether
     * requests are still pending after it ({@link Raised#morePending}).
     */
    Raised raise(String futureMessage) {
        Request plain = null;
        Request innermost = null;
        int innermostDepth = -2;
        int pending = 0;
        for (Request r : requests) {
            if (r.raisedAs != null) {
                continue;
            }
            pending++;
            if (r.owner == null) {
                plain = r;
            } else {
                int d = scopes.indexOf(r.owner);
                if (d > innermostDepth) {
                    innermostDepth = d;
                    innermost = r;
                }
            }
        }
        if (pending == 0) {
            // The awaited future was cancelled by someone else: no request of ours is raised.
            return new Raised(new CancelledException(futureMessage), false);
        }
        if (plain != null) {
            CancelledException e = new CancelledException(plain.message != null ? plain.message : futureMessage);
            for (Request r : requests) {
                if (r.raisedAs == null) {
                    r.raisedAs = e;
                }
            }
            return new Raised(e, false);
        }
        int others = 0;
        for (Request r : requests) {
            if (r == innermost) {
                continue;
            }
            if (r.owner != null && (r.raisedAs == null || scopes.indexOf(r.owner) > innermostDepth)) {
                continue; // raised on its own later, or withdrawn before this scope's block ends
            }
            others++;
        }
        Throwable e = innermost.owner.cancellationRaised(others);
        if (e == null) {
            e = new CancelledException(futureMessage);
        }
        innermost.raisedAs = e;
        return new Raised(e, pending > 1);
    }

    /** What {@link #raise} decided. */
    record Raised(Throwable exception, boolean morePending) {
    }

    /** The exception of an expired {@link Timeout} (asyncio's TimeoutError). */
    static TimeoutException timeout() {
        return new TimeoutException("timed out: the deadline of this Async.timeout block passed");
    }
}
