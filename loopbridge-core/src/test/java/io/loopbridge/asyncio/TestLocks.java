package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.newLoop;
import static io.loopbridge.asyncio.AsyncioCase.runInVirtualTime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.loopbridge.Async;
import io.loopbridge.AsyncBarrier;
import io.loopbridge.AsyncCondition;
import io.loopbridge.AsyncEvent;
import io.loopbridge.AsyncLock;
import io.loopbridge.AsyncSemaphore;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import io.loopbridge.Timeout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * CPython 3.13 {@code Lib/test/test_asyncio/test_locks.py}, case by case: asyncio.Lock is
 * {@link AsyncLock}, Event is {@link AsyncEvent}, Condition is {@link AsyncCondition}
 * ({@code wait} / {@code wait_for} / {@code notify} / {@code notify_all} are {@code await} /
 * {@code awaitUntil} / {@code signal} / {@code signalAll}), Semaphore is {@link AsyncSemaphore}
 * and BoundedSemaphore is {@link AsyncSemaphore#bounded}. Each Python {@code TestCase} class is a
 * {@code @Nested} class of the same name (the file reuses method names across classes).
 * {@code async with lock} is try-with-resources on {@code hold()}. Each {@code async def} case
 * runs as the main task of a fresh virtual-time loop; plain {@code def} cases run on the test
 * thread, as in Python.
 *
 * <p>Java forms used throughout: Python's {@code acquire()} / {@code wait()} return {@code True},
 * the Java methods return nothing, so {@code if await x.acquire(): ...} is the plain call.
 * RuntimeError (release of an unlocked lock, wait/notify without the lock) and ValueError
 * (BoundedSemaphore over-release, task_done underflow) are {@link IllegalStateException};
 * ValueError for a negative initial value is {@link IllegalArgumentException}. The private
 * {@code _waiters} deques are visible only through {@code toString()} ({@code waiters=N}),
 * which the cases that count them read; {@code sem._value} is
 * {@link AsyncSemaphore#availablePermits()}.
 *
 * <p>asyncio.Barrier is {@link AsyncBarrier} ({@code wait()} / {@code n_waiting} / {@code broken} are
 * {@code await()} / {@code waiting()} / {@code isBroken()}; BrokenBarrierError is
 * {@link BrokenBarrierException}); {@code reset()} and {@code abort()} do not suspend, so they
 * are plain calls where Python awaits them.
 *
 * <p>Left out (no Java meaning):
 * <ul>
 *   <li>LockTests.test_repr, EventTests.test_repr, ConditionTests.test_repr,
 *       SemaphoreTests.test_repr, BarrierTests.test_repr: {@code __repr__} text matched by a
 *       regex ({@code <Lock object at 0x..[locked, waiters:1]>}).</li>
 *   <li>LockTests.test_lock, LockTests.test_lock_by_with_statement,
 *       SemaphoreTests.test_semaphore, BarrierTests.test_barrier: {@code await lock} /
 *       {@code with await lock} raise TypeError in Python; in Java awaiting a lock object
 *       does not compile.</li>
 *   <li>LockTests.test_lock_doesnt_accept_loop_parameter: the removed {@code loop=} keyword
 *       argument is Python-only.</li>
 * </ul>
 */
class TestLocks {

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    /**
     * {@code async def test_...}: the body as the main task of a fresh virtual-time loop. A guard
     * deadline far beyond any case's own timers turns a deadlock (a lost wake-up) into a
     * TimeoutException: the idle loop's clock jumps to it at once, instead of the case hanging.
     */
    static void runAsync(Body body) throws Exception {
        runInVirtualTime(() -> {
            try (Timeout guard = Async.timeout(DEADLOCK_GUARD)) {
                body.run();
            }
            return null;
        });
    }

    static final Duration DEADLOCK_GUARD = Duration.ofHours(1);

    /** {@code asyncio.create_task(coro())} for a coroutine that returns nothing. */
    static Task<Void> spawn(Body body) {
        return Async.spawn(() -> {
            body.run();
            return null;
        });
    }

    /** {@code await asyncio.sleep(0)}. */
    static void sleep0() throws Exception {
        Async.checkpoint();
    }

    private static final Pattern WAITERS = Pattern.compile(", waiters=(\\d+)\\]$");

    /**
     * {@code len(x._waiters)}: read from toString, the only public view of the waiting tasks. For
     * a condition, the count at the end is the condition's own (its lock's is nested inside).
     */
    static int waiters(Object primitive) {
        Matcher m = WAITERS.matcher(primitive.toString());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    // ==================================================================== LockTests

    @Nested
    class LockTests {

        /**
         * Waiters acquire in FIFO order, and a newcomer (c3) does not overtake a waiter (c2) that
         * release() already woke but that has not run yet.
         */
        @Test
        void test_acquire() throws Exception {
            runAsync(() -> {
                AsyncLock lock = new AsyncLock();
                List<Integer> result = new ArrayList<>();

                lock.acquire();

                Callable<Boolean> c1 = () -> {
                    lock.acquire();
                    result.add(1);
                    return true;
                };
                Callable<Boolean> c2 = () -> {
                    lock.acquire();
                    result.add(2);
                    return true;
                };
                Callable<Boolean> c3 = () -> {
                    lock.acquire();
                    result.add(3);
                    return true;
                };

                Task<Boolean> t1 = Async.spawn(c1);
                Task<Boolean> t2 = Async.spawn(c2);

                sleep0();
                assertEquals(List.of(), result);

                lock.release();
                sleep0();
                assertEquals(List.of(1), result);

                sleep0();
                assertEquals(List.of(1), result);

                Task<Boolean> t3 = Async.spawn(c3);

                lock.release();
                sleep0();
                assertEquals(List.of(1, 2), result);

                lock.release();
                sleep0();
                assertEquals(List.of(1, 2, 3), result);

                assertTrue(t1.isDone());
                assertTrue(t1.result());
                assertTrue(t2.isDone());
                assertTrue(t2.result());
                assertTrue(t3.isDone());
                assertTrue(t3.result());
            });
        }

        /** A waiting acquire cancelled from a callback raises CancelledException and leaves no waiter. */
        @Test
        void test_acquire_cancel() throws Exception {
            runAsync(() -> {
                AsyncLock lock = new AsyncLock();
                lock.acquire();

                Task<Void> task = spawn(lock::acquire);
                EventLoop.current().callSoon(() -> task.cancel());
                assertThrows(CancelledException.class, () -> Async.await(task));
                assertEquals(0, waiters(lock));
            });
        }

        /**
         * B is cancelled while A releases: the lock must pass to C, not get stuck on B's cancelled
         * waiter. Python checks {@code lock._waiters[0].cancelled()} right after the cancel; the
         * waiter future is private here, so the check is that B's waiter is still queued (2
         * waiters) and B is not done yet.
         */
        @Test
        void test_cancel_race() throws Exception {
            runAsync(() -> {
                // Setup: A has the lock, b and c are waiting.
                AsyncLock lock = new AsyncLock();
                EventLoop loop = EventLoop.current();

                class Lockit implements Callable<Void> {
                    final LoopFuture<Void> blocker;

                    Lockit(LoopFuture<Void> blocker) {
                        this.blocker = blocker;
                    }

                    @Override
                    public Void call() throws Exception {
                        lock.acquire();
                        try {
                            if (blocker != null) {
                                Async.await(blocker);
                            }
                        } finally {
                            lock.release();
                        }
                        return null;
                    }
                }

                LoopFuture<Void> fa = loop.createFuture();
                Task<Void> ta = Async.spawn(new Lockit(fa));
                sleep0();
                assertTrue(lock.isLocked());
                Task<Void> tb = Async.spawn(new Lockit(null));
                sleep0();
                assertEquals(1, waiters(lock));
                Task<Void> tc = Async.spawn(new Lockit(null));
                sleep0();
                assertEquals(2, waiters(lock));

                // Create the race and check.
                // Without the fix this failed at the last assert.
                fa.complete(null);
                tb.cancel();
                assertEquals(2, waiters(lock));
                assertFalse(tb.isDone());
                sleep0();
                assertFalse(lock.isLocked());
                assertTrue(ta.isDone());
                assertTrue(tb.isCancelled());
                Async.await(tc);
            });
        }

        /** Issue 32734: cancelling the first waiter while releasing lets exactly one other task take the lock. */
        @Test
        void test_cancel_release_race() throws Exception {
            runAsync(() -> {
                EventLoop loop = EventLoop.current();
                AsyncLock lock = new AsyncLock();
                int[] lockCount = {0};
                int[] callCount = {0};

                Callable<Void> lockit = () -> {
                    callCount[0] += 1;
                    lock.acquire();
                    lockCount[0] += 1;
                    return null;
                };

                lock.acquire();

                Task<Void> t1 = Async.spawn(lockit);
                Task<Void> t2 = Async.spawn(lockit);
                Task<Void> t3 = Async.spawn(lockit);

                // Start scheduled tasks
                sleep0();

                loop.callSoon(() -> {
                    t1.cancel();
                    lock.release();
                });
                // Wait for cancellation
                assertThrows(CancelledException.class, () -> Async.await(t1));

                // Make sure only one lock was taken
                assertEquals(1, lockCount[0]);
                // While 3 calls were made to lockit()
                assertEquals(3, callCount[0]);
                assertTrue(t1.isCancelled() && t2.isDone());

                // Cleanup the task that is stuck on acquire.
                t3.cancel();
                sleep0();
                assertTrue(t3.isCancelled());
            });
        }

        /**
         * A waiter cancelled after release() picked it does not strand the lock: the next
         * acquirer gets it.
         */
        @Test
        void test_finished_waiter_cancelled() throws Exception {
            runAsync(() -> {
                AsyncLock lock = new AsyncLock();

                lock.acquire();
                assertTrue(lock.isLocked());

                Task<Void> tb = spawn(lock::acquire);
                sleep0();
                assertEquals(1, waiters(lock));

                // Create a second waiter, wake up the first, and cancel it.
                // Without the fix, the second was not woken up.
                Task<Void> tc = spawn(lock::acquire);
                tb.cancel();
                lock.release();
                sleep0();

                assertTrue(lock.isLocked());
                assertTrue(tb.isCancelled());

                // Cleanup
                Async.await(tc);
            });
        }

        /** release() of an unlocked lock raises IllegalStateException (Python: RuntimeError). */
        @Test
        void test_release_not_acquired() throws Exception {
            runAsync(() -> {
                AsyncLock lock = new AsyncLock();

                assertThrows(IllegalStateException.class, lock::release);
            });
        }

        /** acquire then release with nobody waiting leaves the lock free. */
        @Test
        void test_release_no_waiters() throws Exception {
            runAsync(() -> {
                AsyncLock lock = new AsyncLock();
                lock.acquire();
                assertTrue(lock.isLocked());

                lock.release();
                assertFalse(lock.isLocked());
            });
        }

        /** {@code async with lock} is try-with-resources on hold(): locked inside, free after. */
        @Test
        void test_context_manager() throws Exception {
            runAsync(() -> {
                AsyncLock lock = new AsyncLock();
                assertFalse(lock.isLocked());

                try (AsyncLock.Held held = lock.hold()) {
                    assertTrue(lock.isLocked());
                }

                assertFalse(lock.isLocked());
            });
        }
    }

    // ==================================================================== EventTests

    @Nested
    class EventTests {

        /**
         * set() wakes every waiter in the order they started waiting; a task that starts after
         * set() (c3) passes at once, before the woken ones resume.
         */
        @Test
        void test_wait() throws Exception {
            runAsync(() -> {
                AsyncEvent ev = new AsyncEvent();
                assertFalse(ev.isSet());

                List<Integer> result = new ArrayList<>();

                Task<Void> t1 = spawn(() -> {
                    ev.await();
                    result.add(1);
                });
                Task<Void> t2 = spawn(() -> {
                    ev.await();
                    result.add(2);
                });

                sleep0();
                assertEquals(List.of(), result);

                Task<Void> t3 = spawn(() -> {
                    ev.await();
                    result.add(3);
                });

                ev.set();
                sleep0();
                assertEquals(List.of(3, 1, 2), result);

                assertTrue(t1.isDone());
                assertNull(t1.result());
                assertTrue(t2.isDone());
                assertNull(t2.result());
                assertTrue(t3.isDone());
                assertNull(t3.result());
            });
        }

        /** await() of a set event returns at once (Python returns True; the Java method is void). */
        @Test
        void test_wait_on_set() throws Exception {
            runAsync(() -> {
                AsyncEvent ev = new AsyncEvent();
                ev.set();

                ev.await();
                assertTrue(ev.isSet());
            });
        }

        /** A waiter cancelled from a callback raises CancelledException and leaves no waiter. */
        @Test
        void test_wait_cancel() throws Exception {
            runAsync(() -> {
                AsyncEvent ev = new AsyncEvent();

                Task<Void> wait = spawn(ev::await);
                EventLoop.current().callSoon(() -> wait.cancel());
                assertThrows(CancelledException.class, () -> Async.await(wait));
                assertEquals(0, waiters(ev));
            });
        }

        /** set / clear flip isSet. */
        @Test
        void test_clear() throws Exception {
            runAsync(() -> {
                AsyncEvent ev = new AsyncEvent();
                assertFalse(ev.isSet());

                ev.set();
                assertTrue(ev.isSet());

                ev.clear();
                assertFalse(ev.isSet());
            });
        }

        /** A waiter woken by set() returns even if the event is cleared before it runs; it stays counted until then. */
        @Test
        void test_clear_with_waiters() throws Exception {
            runAsync(() -> {
                AsyncEvent ev = new AsyncEvent();
                List<Integer> result = new ArrayList<>();

                Task<Boolean> t = Async.spawn(() -> {
                    ev.await();
                    result.add(1);
                    return true;
                });
                sleep0();
                assertEquals(List.of(), result);

                ev.set();
                ev.clear();
                assertFalse(ev.isSet());

                ev.set();
                ev.set();
                assertEquals(1, waiters(ev));

                sleep0();
                assertEquals(List.of(1), result);
                assertEquals(0, waiters(ev));

                assertTrue(t.isDone());
                assertTrue(t.result());
            });
        }
    }

    // ==================================================================== ConditionTests

    @Nested
    class ConditionTests {

        /**
         * notify wakes waiters in FIFO order, each resuming only once it re-acquires the lock
         * (which, as in asyncio, has no owner: the main task releases what a waiter holds).
         */
        @Test
        void test_wait() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();
                List<Integer> result = new ArrayList<>();

                List<Task<Boolean>> ts = new ArrayList<>();
                for (int n = 1; n <= 3; n++) {
                    int tag = n;
                    ts.add(Async.spawn(() -> {
                        cond.acquire();
                        cond.await();
                        result.add(tag);
                        return true;
                    }));
                }
                Task<Boolean> t1 = ts.get(0);
                Task<Boolean> t2 = ts.get(1);
                Task<Boolean> t3 = ts.get(2);

                sleep0();
                assertEquals(List.of(), result);
                assertFalse(cond.isLocked());

                cond.acquire();
                cond.signal();
                sleep0();
                assertEquals(List.of(), result);
                assertTrue(cond.isLocked());

                cond.release();
                sleep0();
                assertEquals(List.of(1), result);
                assertTrue(cond.isLocked());

                cond.signal(2);
                sleep0();
                assertEquals(List.of(1), result);
                assertTrue(cond.isLocked());

                cond.release();
                sleep0();
                assertEquals(List.of(1, 2), result);
                assertTrue(cond.isLocked());

                cond.release();
                sleep0();
                assertEquals(List.of(1, 2, 3), result);
                assertTrue(cond.isLocked());

                assertTrue(t1.isDone());
                assertTrue(t1.result());
                assertTrue(t2.isDone());
                assertTrue(t2.result());
                assertTrue(t3.isDone());
                assertTrue(t3.result());
            });
        }

        /** A waiter cancelled from a callback raises CancelledException, leaves no waiter, and holds the lock again. */
        @Test
        void test_wait_cancel() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();
                cond.acquire();

                Task<Void> wait = spawn(cond::await);
                EventLoop.current().callSoon(() -> wait.cancel());
                assertThrows(CancelledException.class, () -> Async.await(wait));
                assertEquals(0, waiters(cond));
                assertTrue(cond.isLocked());
            });
        }

        /** A notified waiter cancelled while the lock is contested still ends holding the lock. */
        @Test
        void test_wait_cancel_contested() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();

                cond.acquire();
                assertTrue(cond.isLocked());

                Task<Void> waitTask = spawn(cond::await);
                sleep0();
                assertFalse(cond.isLocked());

                // Notify, but contest the lock before cancelling
                cond.acquire();
                assertTrue(cond.isLocked());
                cond.signal();
                EventLoop.current().callSoon(() -> waitTask.cancel());
                EventLoop.current().callSoon(cond::release);

                try {
                    Async.await(waitTask);
                } catch (CancelledException e) {
                    // Should not happen, since no cancellation points
                }

                assertTrue(cond.isLocked());
            });
        }

        /** bpo-32841: a waiter notified, then cancelled while re-acquiring, ends cancelled. */
        @Test
        void test_wait_cancel_after_notify() throws Exception {
            runAsync(() -> {
                boolean[] waited = {false};

                AsyncCondition cond = new AsyncCondition();

                Task<Void> waiter = spawn(() -> {
                    try (AsyncLock.Held held = cond.hold()) {
                        waited[0] = true; // Make sure this area was reached
                        cond.await();
                    }
                });
                sleep0(); // Start waiting

                cond.acquire();
                cond.signal();
                sleep0(); // Get to acquire()
                waiter.cancel();
                sleep0(); // Activate cancellation
                cond.release();
                sleep0(); // Cancellation should occur

                assertTrue(waiter.isCancelled());
                assertTrue(waited[0]);
            });
        }

        /** await() without the lock raises IllegalStateException (Python: RuntimeError). */
        @Test
        void test_wait_unacquired() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();
                assertThrows(IllegalStateException.class, cond::await);
            });
        }

        /** awaitUntil (wait_for) returns only once the predicate is true after a notify. */
        @Test
        void test_wait_for() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();
                boolean[] presult = {false};

                List<Integer> result = new ArrayList<>();

                Task<Boolean> t = Async.spawn(() -> {
                    cond.acquire();
                    cond.awaitUntil(() -> presult[0]);
                    result.add(1);
                    cond.release();
                    return true;
                });

                sleep0();
                assertEquals(List.of(), result);

                cond.acquire();
                cond.signal();
                cond.release();
                sleep0();
                assertEquals(List.of(), result);

                presult[0] = true;
                cond.acquire();
                cond.signal();
                cond.release();
                sleep0();
                assertEquals(List.of(1), result);

                assertTrue(t.isDone());
                assertTrue(t.result());
            });
        }

        /**
         * awaitUntil with a predicate already true returns at once, even without the lock; one
         * that is false needs the lock. Python's wait_for returns the predicate's value
         * ({@code [1, 2, 3]}); Java's awaitUntil takes a BooleanSupplier and returns nothing, so
         * the first check is that it returns.
         */
        @Test
        void test_wait_for_unacquired() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();

                // predicate can return true immediately
                boolean[] asked = {false};
                cond.awaitUntil(() -> {
                    asked[0] = true;
                    return true;
                });
                assertTrue(asked[0]);

                assertThrows(IllegalStateException.class, () -> cond.awaitUntil(() -> false));
            });
        }

        /** notify(n) wakes n waiters in FIFO order; notify(2048) wakes all that are left, skipping already-woken ones. */
        @Test
        void test_notify() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();
                List<Integer> result = new ArrayList<>();

                List<Task<Boolean>> ts = new ArrayList<>();
                for (int n = 1; n <= 3; n++) {
                    int tag = n;
                    ts.add(Async.spawn(() -> {
                        cond.acquire();
                        cond.await();
                        result.add(tag);
                        cond.release();
                        return true;
                    }));
                }

                sleep0();
                assertEquals(List.of(), result);

                cond.acquire();
                cond.signal(1);
                cond.release();
                sleep0();
                assertEquals(List.of(1), result);

                cond.acquire();
                cond.signal(1);
                cond.signal(2048);
                cond.release();
                sleep0();
                assertEquals(List.of(1, 2, 3), result);

                for (Task<Boolean> t : ts) {
                    assertTrue(t.isDone());
                    assertTrue(t.result());
                }
            });
        }

        /** notify_all (signalAll) wakes every waiter, in FIFO order. */
        @Test
        void test_notify_all() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();

                List<Integer> result = new ArrayList<>();

                List<Task<Boolean>> ts = new ArrayList<>();
                for (int n = 1; n <= 2; n++) {
                    int tag = n;
                    ts.add(Async.spawn(() -> {
                        cond.acquire();
                        cond.await();
                        result.add(tag);
                        cond.release();
                        return true;
                    }));
                }

                sleep0();
                assertEquals(List.of(), result);

                cond.acquire();
                cond.signalAll();
                cond.release();
                sleep0();
                assertEquals(List.of(1, 2), result);

                for (Task<Boolean> t : ts) {
                    assertTrue(t.isDone());
                    assertTrue(t.result());
                }
            });
        }

        /** notify (signal) without the lock raises IllegalStateException (Python: RuntimeError). */
        @Test
        void test_notify_unacquired() {
            AsyncCondition cond = new AsyncCondition();
            assertThrows(IllegalStateException.class, cond::signal);
        }

        /** notify_all (signalAll) without the lock raises IllegalStateException (Python: RuntimeError). */
        @Test
        void test_notify_all_unacquired() {
            AsyncCondition cond = new AsyncCondition();
            assertThrows(IllegalStateException.class, cond::signalAll);
        }

        /** {@code async with cond} is try-with-resources on hold(): locked inside, free after. */
        @Test
        void test_context_manager() throws Exception {
            runAsync(() -> {
                AsyncCondition cond = new AsyncCondition();
                assertFalse(cond.isLocked());
                try (AsyncLock.Held held = cond.hold()) {
                    assertTrue(cond.isLocked());
                }
                assertFalse(cond.isLocked());
            });
        }

        /** A condition built on a given lock uses it: holding either shows as locked on both. */
        @Test
        void test_explicit_lock() throws Exception {
            runAsync(() -> {
                class F {
                    void f(AsyncLock lock, AsyncCondition cond) throws Exception {
                        if (lock == null) {
                            lock = new AsyncLock();
                        }
                        if (cond == null) {
                            cond = new AsyncCondition(lock);
                        }
                        assertSame(lock, cond.lock());
                        assertFalse(lock.isLocked());
                        assertFalse(cond.isLocked());
                        try (AsyncLock.Held held = cond.hold()) {
                            assertTrue(lock.isLocked());
                            assertTrue(cond.isLocked());
                        }
                        assertFalse(lock.isLocked());
                        assertFalse(cond.isLocked());
                        try (AsyncLock.Held held = lock.hold()) {
                            assertTrue(lock.isLocked());
                            assertTrue(cond.isLocked());
                        }
                        assertFalse(lock.isLocked());
                        assertFalse(cond.isLocked());
                    }
                }

                // All should work in the same way.
                new F().f(null, null);
                new F().f(new AsyncLock(), null);
                AsyncLock lock = new AsyncLock();
                new F().f(lock, new AsyncCondition(lock));
            });
        }

        /**
         * A lock or condition bound to another loop is refused. Python forces the binding by
         * assigning the private {@code _loop}; here each primitive is bound by using it on the
         * other loop first. Java checks the binding on every call (not only when a wait needs
         * the loop), so the wrong lock already fails at {@code cond.acquire()}: the loop
         * mismatch surfaces as IllegalStateException (Python: RuntimeError "is bound to a
         * different event loop").
         */
        @Test
        void test_ambiguous_loops() throws Exception {
            try (EventLoop loop = newLoop(); EventLoop other = newLoop()) {
                // wrong_loop_in_lock
                AsyncLock lock = new AsyncLock();
                other.runUntilComplete(() -> lock.isLocked()); // binds the lock to `other`
                loop.runUntilComplete(() -> {
                    AsyncCondition cond = new AsyncCondition(lock);
                    IllegalStateException e = assertThrows(IllegalStateException.class, cond::acquire);
                    assertTrue(e.getMessage().contains("is bound to event loop"), e.getMessage());
                    return null;
                });

                // wrong_loop_in_cond
                AsyncLock lock2 = new AsyncLock();
                AsyncCondition cond2 = new AsyncCondition(lock2);
                loop.runUntilComplete(() -> lock2.isLocked()); // binds lock2 to `loop`
                other.runUntilComplete(() -> {
                    // binds cond2 to `other` (its lock, bound to `loop`, then refuses)
                    assertThrows(IllegalStateException.class, cond2::isLocked);
                    return null;
                });
                loop.runUntilComplete(() -> {
                    try (AsyncLock.Held held = lock2.hold()) {
                        IllegalStateException e = assertThrows(IllegalStateException.class, cond2::await);
                        assertTrue(e.getMessage().contains("is bound to event loop"), e.getMessage());
                    }
                    return null;
                });
            }
        }

        /**
         * A wait under a timeout raises TimeoutException, and the waiting task holds the lock
         * again when it does (3.12+'s wait_for awaits the wait in the caller, under a timeout
         * scope: the same as Async.timeout here).
         */
        @Test
        void test_timeout_in_block() throws Exception {
            runAsync(() -> {
                AsyncCondition condition = new AsyncCondition();
                try (AsyncLock.Held held = condition.hold()) {
                    assertThrows(TimeoutException.class, () -> {
                        try (Timeout t = Async.timeout(Duration.ofMillis(500))) {
                            condition.await();
                        }
                    });
                    assertTrue(condition.isLocked());
                }
                assertFalse(condition.isLocked());
            });
        }

        /** The same through Async.waitFor, whose stage is a task of its own: that task's wait times out. */
        @Test
        void timeoutInBlockThroughWaitFor() throws Exception {
            runAsync(() -> {
                AsyncCondition condition = new AsyncCondition();
                try (AsyncLock.Held held = condition.hold()) {
                    assertThrows(TimeoutException.class,
                            () -> Async.waitFor(spawn(condition::await), Duration.ofMillis(500)));
                }
            });
        }

        /**
         * A cancellation received while waiting for the wake-up propagates unchanged: awaiting
         * the task raises the very CancelledException (message "foo") the task raised.
         */
        @Test
        void test_cancelled_error_wakeup() throws Exception {
            runAsync(() -> {
                boolean[] wake = {false};
                CancelledException[] raised = {null};
                AsyncCondition cond = new AsyncCondition();

                Task<Void> task = spawn(() -> {
                    try (AsyncLock.Held held = cond.hold()) {
                        CancelledException err = assertThrows(CancelledException.class,
                                () -> cond.awaitUntil(() -> wake[0]));
                        raised[0] = err;
                        throw err;
                    }
                });
                sleep0();
                // Task is waiting on the condition, cancel it there.
                task.cancel("foo");
                CancelledException err = assertThrows(CancelledException.class, () -> Async.await(task));
                assertEquals("foo", err.getMessage());
                // We should have got the _same_ exception instance as the one originally raised.
                assertSame(raised[0], err);
            });
        }

        /**
         * A cancellation received while re-acquiring the lock after a notify propagates
         * unchanged: awaiting the task raises the very CancelledException ("foo") it raised.
         */
        @Test
        void test_cancelled_error_re_aquire() throws Exception {
            runAsync(() -> {
                boolean[] wake = {false};
                CancelledException[] raised = {null};
                AsyncCondition cond = new AsyncCondition();

                Task<Void> task = spawn(() -> {
                    try (AsyncLock.Held held = cond.hold()) {
                        CancelledException err = assertThrows(CancelledException.class,
                                () -> cond.awaitUntil(() -> wake[0]));
                        raised[0] = err;
                        throw err;
                    }
                });
                sleep0();
                // Task is waiting on the condition
                cond.acquire();
                wake[0] = true;
                cond.signal();
                sleep0();
                // Task is now trying to re-acquire the lock, cancel it there.
                task.cancel("foo");
                cond.release();
                CancelledException err = assertThrows(CancelledException.class, () -> Async.await(task));
                assertEquals("foo", err.getMessage());
                // We should have got the _same_ exception instance as the one originally raised.
                assertSame(raised[0], err);
            });
        }

        /**
         * A consumer cancelled while its notify is pending passes the wake-up on: the other
         * consumer takes the item (no lost wake-up).
         */
        @Test
        void test_cancelled_wakeup() throws Exception {
            runAsync(() -> {
                AsyncCondition condition = new AsyncCondition();
                int[] state = {0};
                Callable<Void> consumer = () -> {
                    try (AsyncLock.Held held = condition.hold()) {
                        while (true) {
                            condition.awaitUntil(() -> state[0] != 0);
                            if (state[0] < 0) {
                                return null;
                            }
                            state[0] -= 1;
                        }
                    }
                };

                // create two consumers
                List<Task<Void>> c = List.of(Async.spawn(consumer), Async.spawn(consumer));
                // wait for them to settle
                sleep0();
                try (AsyncLock.Held held = condition.hold()) {
                    // produce one item and wake up one
                    state[0] += 1;
                    condition.signal(1);

                    // Cancel it while it is awaiting to be run.
                    // This cancellation could come from the outside
                    c.get(0).cancel();

                    // now wait for the item to be consumed
                    // if it doesn't means that our "notify" didn"t take hold.
                    // because it raced with a cancel()
                    try (Timeout t = Async.timeout(Duration.ofMillis(10))) {
                        condition.awaitUntil(() -> state[0] == 0);
                    } catch (TimeoutException e) {
                        // expected: nobody signals this waiter
                    }
                    assertEquals(0, state[0]);

                    // clean up
                    state[0] = -1;
                    condition.signalAll();
                }
                Async.await(c.get(1));
            });
        }

        /**
         * A consumer cancelled while re-acquiring the lock after its notify passes the wake-up
         * on: the other consumer takes the item (no lost wake-up).
         */
        @Test
        void test_cancelled_wakeup_relock() throws Exception {
            runAsync(() -> {
                AsyncCondition condition = new AsyncCondition();
                int[] state = {0};
                Callable<Void> consumer = () -> {
                    try (AsyncLock.Held held = condition.hold()) {
                        while (true) {
                            condition.awaitUntil(() -> state[0] != 0);
                            if (state[0] < 0) {
                                return null;
                            }
                            state[0] -= 1;
                        }
                    }
                };

                // create two consumers
                List<Task<Void>> c = List.of(Async.spawn(consumer), Async.spawn(consumer));
                // wait for them to settle
                sleep0();
                try (AsyncLock.Held held = condition.hold()) {
                    // produce one item and wake up one
                    state[0] += 1;
                    condition.signal(1);

                    // now we sleep for a bit.  This allows the target task to wake up and
                    // settle on re-aquiring the lock
                    sleep0();

                    // Cancel it while awaiting the lock
                    // This cancel could come the outside.
                    c.get(0).cancel();

                    // now wait for the item to be consumed
                    // if it doesn't means that our "notify" didn"t take hold.
                    // because it raced with a cancel()
                    try (Timeout t = Async.timeout(Duration.ofMillis(10))) {
                        condition.awaitUntil(() -> state[0] == 0);
                    } catch (TimeoutException e) {
                        // expected: nobody signals this waiter
                    }
                    assertEquals(0, state[0]);

                    // clean up
                    state[0] = -1;
                    condition.signalAll();
                }
                Async.await(c.get(1));
            });
        }
    }

    // ==================================================================== SemaphoreTests

    @Nested
    class SemaphoreTests {

        /** A semaphore with no permit is locked. */
        @Test
        void test_initial_value_zero() {
            AsyncSemaphore sem = new AsyncSemaphore(0);
            assertTrue(sem.isLocked());
        }

        /** A negative initial value raises IllegalArgumentException (Python: ValueError). */
        @Test
        void test_semaphore_value() {
            assertThrows(IllegalArgumentException.class, () -> new AsyncSemaphore(-1));
        }

        /**
         * Two releases hand their permits straight to the two earliest waiters (value stays 0),
         * so a newcomer (c4) created before the releases still waits.
         */
        @Test
        void test_acquire() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(3);
                List<Integer> result = new ArrayList<>();

                sem.acquire();
                sem.acquire();
                assertFalse(sem.isLocked());

                Task<Boolean> t1 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(1);
                    return true;
                });
                Task<Boolean> t2 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(2);
                    return true;
                });
                Task<Boolean> t3 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(3);
                    return true;
                });

                sleep0();
                assertEquals(List.of(1), result);
                assertTrue(sem.isLocked());
                assertEquals(2, waiters(sem));
                assertEquals(0, sem.availablePermits());

                Task<Boolean> t4 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(4);
                    return true;
                });

                sem.release();
                sem.release();
                assertEquals(0, sem.availablePermits());

                sleep0();
                assertEquals(0, sem.availablePermits());
                assertEquals(3, result.size());
                assertTrue(sem.isLocked());
                assertEquals(1, waiters(sem));
                assertEquals(0, sem.availablePermits());

                assertTrue(t1.isDone());
                assertTrue(t1.result());
                List<Task<Boolean>> raceTasks = List.of(t2, t3, t4);
                int doneTasks = 0;
                for (Task<Boolean> t : raceTasks) {
                    if (t.isDone() && t.result()) {
                        doneTasks++;
                    }
                }
                assertEquals(2, doneTasks);

                // cleanup locked semaphore
                sem.release();
                Async.await(Async.gather(raceTasks));
            });
        }

        /**
         * A waiting acquire cancelled from a callback raises CancelledException and leaves no
         * live waiter. Python checks that every remaining {@code _waiters} future is done; those
         * futures are private here, so the check is that a release then leaves the permit free
         * (no waiter took it) and the semaphore unlocked.
         */
        @Test
        void test_acquire_cancel() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(1);
                sem.acquire();

                Task<Void> acquire = spawn(sem::acquire);
                EventLoop.current().callSoon(() -> acquire.cancel());
                assertThrows(CancelledException.class, () -> Async.await(acquire));
                sem.release();
                assertEquals(1, sem.availablePermits());
                assertFalse(sem.isLocked());
            });
        }

        /** Two waiters cancelled before a release: the permit goes to the next live waiter (t3), not t4. */
        @Test
        void test_acquire_cancel_before_awoken() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(0);

                Task<Void> t1 = spawn(sem::acquire);
                Task<Void> t2 = spawn(sem::acquire);
                Task<Void> t3 = spawn(sem::acquire);
                Task<Void> t4 = spawn(sem::acquire);

                sleep0();

                t1.cancel();
                t2.cancel();
                sem.release();

                sleep0();
                sleep0();
                int numDone = (t3.isDone() ? 1 : 0) + (t4.isDone() ? 1 : 0);
                assertEquals(1, numDone);
                assertTrue(t3.isDone());
                assertFalse(t4.isDone());

                t3.cancel();
                t4.cancel();
                sleep0();
            });
        }

        /** A waiter cancelled before a release does not swallow the permit: the next waiter gets it. */
        @Test
        void test_acquire_hang() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(0);

                Task<Void> t1 = spawn(sem::acquire);
                Task<Void> t2 = spawn(sem::acquire);
                sleep0();

                t1.cancel();
                sem.release();
                sleep0();
                sleep0();
                assertTrue(sem.isLocked());
                assertTrue(t2.isDone());
            });
        }

        /**
         * A waiter cancelled after release() handed it the permit gives the permit back: a later
         * acquire does not hang.
         */
        @Test
        void test_acquire_no_hang() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(1);
                List<Task<Void>> t2Holder = new ArrayList<>();

                Task<Void> t1 = spawn(() -> {
                    try (AsyncLock.Held held = sem.hold()) {
                        sleep0();
                    }
                    t2Holder.get(0).cancel();
                });
                Task<Void> t2 = spawn(() -> {
                    try (AsyncLock.Held held = sem.hold()) {
                        fail("c2 must not get the semaphore");
                    }
                });
                t2Holder.add(t2);

                List<Async.Settled<Void>> rs = Async.await(Async.gatherSettled(List.of(t1, t2)));
                assertTrue(rs.get(0).isSuccess());
                assertNull(rs.get(0).value());
                assertInstanceOf(CancelledException.class, rs.get(1).exception());

                Async.waitFor(spawn(sem::acquire), Duration.ofSeconds(1));
            });
        }

        /** release() of a bounded semaphore at its initial value raises IllegalStateException (Python: ValueError). */
        @Test
        void test_release_not_acquired() {
            AsyncSemaphore sem = AsyncSemaphore.bounded(1);

            assertThrows(IllegalStateException.class, sem::release);
        }

        /** acquire then release with nobody waiting leaves the semaphore unlocked. */
        @Test
        void test_release_no_waiters() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(1);
                sem.acquire();
                assertTrue(sem.isLocked());

                sem.release();
                assertFalse(sem.isLocked());
            });
        }

        /** Three tasks taking a 1-permit semaphore twice each are served strictly in FIFO order. */
        @Test
        void test_acquire_fifo_order() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(1);
                List<String> result = new ArrayList<>();

                try (TaskGroup tg = TaskGroup.open()) {
                    for (String tag : List.of("c1", "c2", "c3")) {
                        tg.spawn(() -> {
                            sem.acquire();
                            result.add(tag + "_1");
                            Async.sleep(Duration.ofMillis(10));
                            sem.release();

                            sem.acquire();
                            result.add(tag + "_2");
                            Async.sleep(Duration.ofMillis(10));
                            sem.release();
                            return null;
                        });
                    }
                }

                assertEquals(List.of("c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"), result);
            });
        }

        /** A task that releases and re-acquires at once queues behind the woken waiter (c3 before c2's second turn). */
        @Test
        void test_acquire_fifo_order_2() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(1);
                List<Integer> result = new ArrayList<>();

                Task<Boolean> t1 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(1);
                    return true;
                });
                Task<Boolean> t2 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(2);
                    sem.release();
                    sem.acquire();
                    result.add(4);
                    return true;
                });
                Task<Boolean> t3 = Async.spawn(() -> {
                    sem.acquire();
                    result.add(3);
                    return true;
                });

                sleep0();

                sem.release();
                sem.release();

                Async.await(Async.gather(t1, t2, t3));
                assertEquals(List.of(1, 2, 3, 4), result);
            });
        }

        /** The first waiter cancelled: the two releases serve the other two in order. */
        @Test
        void test_acquire_fifo_order_3() throws Exception {
            runAsync(() -> {
                AsyncSemaphore sem = new AsyncSemaphore(0);
                List<Integer> result = new ArrayList<>();

                List<Task<Boolean>> tasks = new ArrayList<>();
                for (int n = 1; n <= 3; n++) {
                    int tag = n;
                    tasks.add(Async.spawn(() -> {
                        sem.acquire();
                        result.add(tag);
                        return true;
                    }));
                }

                sleep0();

                tasks.get(0).cancel();

                sleep0();

                sem.release();
                sem.release();

                Async.await(Async.gatherSettled(tasks));
                assertEquals(List.of(2, 3), result);
            });
        }

        /**
         * A successful acquire wakes every further waiter that free permits allow (FIFO rule), so
         * a task created afterwards (c4) runs after c3, not before c2.
         */
        @Test
        void test_acquire_fifo_order_4() throws Exception {
            runAsync(() -> {
                // Test that a successful acquire() will wake up multiple Tasks
                // that were waiting in the Semaphore queue due to FIFO rules.
                AsyncSemaphore sem = new AsyncSemaphore(0);
                List<Integer> result = new ArrayList<>();
                List<Task<Boolean>> t4 = new ArrayList<>();

                Callable<Boolean> c4 = () -> {
                    result.add(4);
                    return true;
                };

                Task<Boolean> t1 = Async.spawn(() -> {
                    // First task immediately waits for semaphore.  It will be awoken by c2.
                    assertEquals(0, sem.availablePermits());
                    sem.acquire();
                    // We should have woken up all waiting tasks now.
                    assertEquals(0, sem.availablePermits());
                    // Create a fourth task.  It should run after c3, not c2.
                    t4.add(Async.spawn(c4));
                    result.add(1);
                    return true;
                });
                Task<Boolean> t2 = Async.spawn(() -> {
                    // The second task begins by releasing semaphore three times,
                    // for c1, c2, and c3.
                    sem.release();
                    sem.release();
                    sem.release();
                    assertEquals(2, sem.availablePermits());
                    // It is locked, because c1 hasn't woken up yet.
                    assertTrue(sem.isLocked());
                    sem.acquire();
                    result.add(2);
                    return true;
                });
                Task<Boolean> t3 = Async.spawn(() -> {
                    sem.acquire();
                    assertTrue(sem.isLocked());
                    result.add(3);
                    return true;
                });

                sleep0();
                // Three tasks are in the queue, the first hasn't woken up yet.
                assertEquals(2, sem.availablePermits());
                assertEquals(3, waiters(sem));
                sleep0();

                assertEquals(1, t4.size(), "c1 has run and created c4");
                Async.await(Async.gather(t1, t2, t3, t4.get(0)));
                assertEquals(List.of(1, 2, 3, 4), result);
            });
        }
    }

    // ==================================================================== BarrierTests

    /** asyncio.Barrier is {@link AsyncBarrier}: {@code wait()} is {@code await()}, {@code n_waiting} is {@code waiting()}. */
    @Nested
    class BarrierTests {
        int N = 5;

        List<Task<Object>> makeTasks(int n, Callable<?> coro) {
            List<Task<Object>> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                tasks.add(Async.spawn(coro::call));
            }
            return tasks;
        }

        List<Object> gatherTasks(int n, Callable<?> coro) throws Exception {
            List<Task<Object>> tasks = makeTasks(n, coro);
            return Async.await(Async.gather(tasks));
        }

        /** parties below 1 raise IllegalArgumentException (Python: ValueError). */
        @Test
        void test_barrier_parties() throws Exception {
            runAsync(() -> {
                assertThrows(IllegalArgumentException.class, () -> new AsyncBarrier(0));
                assertThrows(IllegalArgumentException.class, () -> new AsyncBarrier(-4));

                assertNotNull(new AsyncBarrier(N));
            });
        }

        /** {@code async with barrier as i} is {@code int i = barrier.await()}: the indexes are 0..N-1. */
        @Test
        void test_context_manager() throws Exception {
            runAsync(() -> {
                N = 3;
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Integer> results = new ArrayList<>();

                gatherTasks(N, () -> {
                    int i = barrier.await();
                    results.add(i);
                    return null;
                });

                Collections.sort(results);
                assertEquals(IntStream.range(0, N).boxed().toList(), results);
                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** A barrier of one party passes at once. */
        @Test
        void test_filling_one_task() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(1);

                barrier.await();
                boolean ret = true;

                assertTrue(ret);
                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** A barrier of one party passes twice in a row with the same index. */
        @Test
        void test_filling_one_task_twice() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(1);

                Task<Integer> t1 = Async.spawn(barrier::await);
                sleep0();
                assertEquals(0, barrier.waiting());

                Task<Integer> t2 = Async.spawn(barrier::await);
                sleep0();

                assertEquals(t1.result(), t2.result());
                assertEquals(t1.isDone(), t2.isDone());

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** Waiters accumulate one by one (state "filling") until the last party arrives. */
        @Test
        void test_filling_task_by_task() throws Exception {
            runAsync(() -> {
                N = 3;
                AsyncBarrier barrier = new AsyncBarrier(N);

                Task<Integer> t1 = Async.spawn(barrier::await);
                sleep0();
                assertEquals(1, barrier.waiting());
                assertTrue(barrier.toString().contains("filling"));

                Task<Integer> t2 = Async.spawn(barrier::await);
                sleep0();
                assertEquals(2, barrier.waiting());
                assertTrue(barrier.toString().contains("filling"));

                Task<Integer> t3 = Async.spawn(barrier::await);
                sleep0();

                Async.await(Async.gatherSettled(List.of(t1, t2, t3)));

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** N tasks pass the barrier twice. */
        @Test
        void test_filling_tasks_wait_twice() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results = new ArrayList<>();

                gatherTasks(N, () -> {
                    barrier.await();
                    results.add(true);

                    barrier.await();
                    results.add(false);
                    return null;
                });

                assertEquals(N * 2, results.size());
                assertEquals(N, Collections.frequency(results, true));
                assertEquals(N, Collections.frequency(results, false));

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** The second pass returns indexes 0..N-1 too. */
        @Test
        void test_filling_tasks_check_return_value() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();

                List<Object> res = gatherTasks(N, () -> {
                    barrier.await();
                    results1.add(true);

                    int i = barrier.await();
                    results2.add(true);
                    return i;
                });

                assertEquals(N, results1.size());
                assertEquals(N, results2.size());
                List<Integer> sorted = new ArrayList<>();
                res.forEach(o -> sorted.add((Integer) o));
                Collections.sort(sorted);
                assertEquals(IntStream.range(0, N).boxed().toList(), sorted);

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** While tasks leave a tripped barrier it is "draining", until the last one leaves. */
        @Test
        void test_draining_state() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results = new ArrayList<>();

                gatherTasks(N, () -> {
                    barrier.await();
                    // barrier state change to filling for the last task release
                    results.add(barrier.toString().contains("draining"));
                    return null;
                });

                assertEquals(N, results.size());
                assertFalse(results.get(N - 1));
                assertTrue(results.subList(0, N - 1).stream().allMatch(b -> b));

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** Tasks that wait again while the barrier drains are held until draining ends. */
        @Test
        void test_blocking_tasks_while_draining() throws Exception {
            runAsync(() -> {
                int rewait = 2;
                AsyncBarrier barrier = new AsyncBarrier(N);
                AsyncBarrier barrierNowaiting = new AsyncBarrier(N - rewait);
                int[] rewaitN = {rewait};

                // a success means that barrierNowaiting was waited for exactly N-rewait=3 times
                gatherTasks(N, () -> {
                    // first time waiting
                    barrier.await();

                    // after waiting once for all tasks
                    if (rewaitN[0] > 0) {
                        rewaitN[0] -= 1;
                        // wait again only for rewait tasks
                        barrier.await();
                    } else {
                        // wait for end of draining state
                        barrierNowaiting.await();
                        // wait for other waiting tasks
                        barrier.await();
                    }
                    return null;
                });
            });
        }

        /** A cancelled waiter leaves the barrier (waiting drops) and a later task takes its place. */
        @Test
        void test_filling_tasks_cancel_one() throws Exception {
            runAsync(() -> {
                N = 3;
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results = new ArrayList<>();

                Callable<Void> coro = () -> {
                    barrier.await();
                    results.add(true);
                    return null;
                };

                Task<Void> t1 = Async.spawn(coro);
                sleep0();
                assertEquals(1, barrier.waiting());

                Task<Void> t2 = Async.spawn(coro);
                sleep0();
                assertEquals(2, barrier.waiting());

                t1.cancel();
                sleep0();
                assertEquals(1, barrier.waiting());
                assertThrows(CancelledException.class, () -> Async.await(t1));
                assertTrue(t1.isCancelled());

                Task<Void> t3 = Async.spawn(coro);
                sleep0();
                assertEquals(2, barrier.waiting());

                Task<Void> t4 = Async.spawn(coro);
                Async.await(Async.gather(t2, t3, t4));

                assertEquals(N, results.size());
                assertTrue(results.stream().allMatch(b -> b));

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** reset() of an idle barrier leaves it empty and not broken. */
        @Test
        void test_reset_barrier() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(1);

                spawn(barrier::reset);
                sleep0();

                assertEquals(0, barrier.waiting());
                assertFalse(barrier.isBroken());
            });
        }

        /** reset() while N-1 tasks wait makes each raise BrokenBarrierException; the barrier is usable after. */
        @Test
        void test_reset_barrier_while_tasks_waiting() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results = new ArrayList<>();

                // N-1 tasks waiting on barrier with N parties
                List<Task<Object>> tasks = makeTasks(N - 1, () -> {
                    try {
                        barrier.await();
                    } catch (BrokenBarrierException e) {
                        results.add(true);
                    }
                    return null;
                });
                sleep0();

                // reset the barrier
                spawn(barrier::reset);
                Async.await(Async.gather(tasks));

                assertEquals(N - 1, results.size());
                assertTrue(results.stream().allMatch(b -> b));
                assertEquals(0, barrier.waiting());
                assertFalse(barrier.toString().contains("resetting"));
                assertFalse(barrier.isBroken());
            });
        }

        /**
         * reset() by a task leaving a draining barrier breaks it for those not yet out. Python
         * compares the private {@code _count} (tasks still inside); here the test counts the
         * tasks that got out itself.
         */
        @Test
        void test_reset_barrier_when_tasks_half_draining() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                int restOfTasks = N / 2;
                int[] out = {0};

                gatherTasks(N, () -> {
                    boolean broken = false;
                    try {
                        barrier.await();
                    } catch (BrokenBarrierException e) {
                        // catch here waiting tasks
                        results1.add(true);
                        broken = true;
                    }
                    if (!broken) {
                        // here drained task outside the barrier
                        out[0]++;
                        if (restOfTasks == N - out[0]) {
                            // tasks outside the barrier
                            barrier.reset();
                        }
                    }
                    return null;
                });

                assertEquals(Collections.nCopies(restOfTasks, true), results1);
                assertEquals(0, barrier.waiting());
                assertFalse(barrier.toString().contains("resetting"));
                assertFalse(barrier.isBroken());
            });
        }

        /** reset() while half the tasks drain and half already wait again: the waiting ones break and rejoin. */
        @Test
        void test_reset_barrier_when_tasks_half_draining_half_blocking() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();
                int blockingTasks = N / 2;
                int[] count = {0};

                gatherTasks(N, () -> {
                    boolean broken = false;
                    try {
                        barrier.await();
                    } catch (BrokenBarrierException e) {
                        // here catch still waiting tasks
                        results1.add(true);

                        // so now waiting again to reach nb_parties
                        barrier.await();
                        broken = true;
                    }
                    if (!broken) {
                        count[0] += 1;
                        if (count[0] > blockingTasks) {
                            // reset now: raise BrokenBarrierException for waiting tasks
                            barrier.reset();

                            // so now waiting again to reach nb_parties
                            barrier.await();
                        } else {
                            try {
                                barrier.await();
                            } catch (BrokenBarrierException e) {
                                // here no catch - blocked tasks go to wait
                                results2.add(true);
                            }
                        }
                    }
                    return null;
                });

                assertEquals(Collections.nCopies(blockingTasks, true), results1);
                assertEquals(List.of(), results2);
                assertEquals(0, barrier.waiting());
                assertFalse(barrier.toString().contains("resetting"));
                assertFalse(barrier.isBroken());
            });
        }

        /** Tasks broken by reset() wait again in their finally block and pass with one more task. */
        @Test
        void test_reset_barrier_while_tasks_waiting_and_waiting_again() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();

                List<Task<Object>> tasks = makeTasks(N - 1, () -> {
                    try {
                        barrier.await();
                    } catch (BrokenBarrierException e) {
                        results1.add(true);
                    } finally {
                        barrier.await();
                        results2.add(true);
                    }
                    return null;
                });

                // reset barrier, N-1 waiting tasks raise an BrokenBarrierException
                spawn(barrier::reset);
                sleep0();

                // complete waiting tasks in the finally
                spawn(() -> {
                    barrier.await();
                    results2.add(true);
                });

                Async.await(Async.gather(tasks));

                assertFalse(barrier.isBroken());
                assertEquals(N - 1, results1.size());
                assertTrue(results1.stream().allMatch(b -> b));
                assertEquals(N, results2.size());
                assertTrue(results2.stream().allMatch(b -> b));

                assertEquals(0, barrier.waiting());
            });
        }

        /** reset() by the last task out of a draining barrier does not break the tasks that already wait again. */
        @Test
        void test_reset_barrier_while_tasks_draining() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();
                List<Boolean> results3 = new ArrayList<>();
                int[] count = {0};

                gatherTasks(N, () -> {
                    barrier.await();
                    count[0] += 1;
                    if (count[0] == N) {
                        // last task exited from barrier
                        barrier.reset();

                        // wait here to reach the `parties`
                        barrier.await();
                    } else {
                        try {
                            // second waiting
                            barrier.await();

                            // N-1 tasks here
                            results1.add(true);
                        } catch (Exception e) {
                            // never goes here
                            results2.add(true);
                        }
                    }

                    // Now, pass the barrier again
                    // last wait, must be completed
                    barrier.await();
                    results3.add(true);
                    return null;
                });

                assertFalse(barrier.isBroken());
                assertTrue(results1.stream().allMatch(b -> b));
                assertEquals(N - 1, results1.size());
                assertEquals(0, results2.size());
                assertEquals(N, results3.size());
                assertTrue(results3.stream().allMatch(b -> b));

                assertEquals(0, barrier.waiting());
            });
        }

        /** abort() of an idle barrier leaves it broken. */
        @Test
        void test_abort_barrier() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(1);

                spawn(barrier::abort);
                sleep0();

                assertEquals(0, barrier.waiting());
                assertTrue(barrier.isBroken());
            });
        }

        /** abort() while half the tasks drain and half wait again breaks every one of them. */
        @Test
        void test_abort_barrier_when_tasks_half_draining_half_blocking() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();
                int blockingTasks = N / 2;
                int[] count = {0};

                gatherTasks(N, () -> {
                    boolean broken = false;
                    try {
                        barrier.await();
                    } catch (BrokenBarrierException e) {
                        // here catch tasks waiting to drain
                        results1.add(true);
                        broken = true;
                    }
                    if (!broken) {
                        count[0] += 1;
                        if (count[0] > blockingTasks) {
                            // abort now: raise BrokenBarrierException for all tasks
                            barrier.abort();
                        } else {
                            try {
                                barrier.await();
                            } catch (BrokenBarrierException e) {
                                // here catch blocked tasks (already drained)
                                results2.add(true);
                            }
                        }
                    }
                    return null;
                });

                assertTrue(barrier.isBroken());
                assertEquals(Collections.nCopies(blockingTasks, true), results1);
                assertEquals(Collections.nCopies(N - blockingTasks - 1, true), results2);
                assertEquals(0, barrier.waiting());
                assertFalse(barrier.toString().contains("resetting"));
            });
        }

        /** threading's test_reset: a task that fails aborts the barrier, and every other task sees it broken. */
        @Test
        void test_abort_barrier_when_exception() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();

                gatherTasks(N, () -> {
                    try {
                        int i = barrier.await();
                        if (i == N / 2) {
                            throw new RuntimeException();
                        }
                        barrier.await();
                        results1.add(true);
                    } catch (BrokenBarrierException e) {
                        results2.add(true);
                    } catch (RuntimeException e) {
                        barrier.abort();
                    }
                    return null;
                });

                assertTrue(barrier.isBroken());
                assertEquals(0, results1.size());
                assertEquals(N - 1, results2.size());
                assertTrue(results2.stream().allMatch(b -> b));
                assertEquals(0, barrier.waiting());
            });
        }

        /** threading's test_abort_and_reset: an aborted barrier is usable again after reset(). */
        @Test
        void test_abort_barrier_when_exception_then_resetting() throws Exception {
            runAsync(() -> {
                AsyncBarrier barrier1 = new AsyncBarrier(N);
                AsyncBarrier barrier2 = new AsyncBarrier(N);
                List<Boolean> results1 = new ArrayList<>();
                List<Boolean> results2 = new ArrayList<>();
                List<Boolean> results3 = new ArrayList<>();

                gatherTasks(N, () -> {
                    try {
                        int i = barrier1.await();
                        if (i == N / 2) {
                            throw new RuntimeException();
                        }
                        barrier1.await();
                        results1.add(true);
                    } catch (BrokenBarrierException e) {
                        results2.add(true);
                    } catch (RuntimeException e) {
                        barrier1.abort();
                    }

                    // Synchronize and reset the barrier.  Must synchronize first so
                    // that everyone has left it when we reset, and after so that no
                    // one enters it before the reset.
                    int i = barrier2.await();
                    if (i == N / 2) {
                        barrier1.reset();
                    }
                    barrier2.await();
                    barrier1.await();
                    results3.add(true);
                    return null;
                });

                assertFalse(barrier1.isBroken());
                assertEquals(0, results1.size());
                assertEquals(N - 1, results2.size());
                assertTrue(results2.stream().allMatch(b -> b));
                assertEquals(N, results3.size());
                assertTrue(results3.stream().allMatch(b -> b));

                assertEquals(0, barrier1.waiting());
            });
        }
    }
}
