package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.runInVirtualTime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loopbridge.Async;
import io.loopbridge.AsyncEvent;
import io.loopbridge.AsyncQueue;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.QueueEmptyException;
import io.loopbridge.QueueFullException;
import io.loopbridge.QueueShutDownException;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import io.loopbridge.Timeout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * CPython 3.13 {@code Lib/test/test_asyncio/test_queues.py}, case by case: asyncio.Queue is
 * {@link AsyncQueue}. Each Python {@code TestCase} class is a {@code @Nested} class of the same
 * name (the file reuses method names across classes); the {@code _QueueJoinTestMixin} and
 * {@code _QueueShutdownTestMixin} mixins are abstract inner classes with a queue factory.
 * {@code IsolatedAsyncioTestCase} gives each {@code async def} case a fresh loop: here a fresh
 * virtual-time loop ({@link AsyncioCase#runInVirtualTime}). Plain {@code def} cases run on the
 * test thread, as in Python: an unbound queue accepts non-waiting calls from a thread without
 * a loop.
 *
 * <p>Python's {@code ValueError} from {@code task_done()} is {@link IllegalStateException};
 * QueueEmpty / QueueFull / QueueShutDown are {@link QueueEmptyException},
 * {@link QueueFullException}, {@link QueueShutDownException}. The private {@code _getters} /
 * {@code _putters} deques are visible only through {@link AsyncQueue#toString()}
 * ({@code getters=N}, {@code putters=N}), which the cases that count them read.
 *
 * <p>asyncio.LifoQueue and asyncio.PriorityQueue have no loopbridge counterpart: their cases
 * are ported against {@code AsyncQueue.lifo()} and {@code AsyncQueue.priority()}.
 *
 * <p>Left out (no Java meaning):
 * <ul>
 *   <li>QueueBasicTests.test_repr, QueueBasicTests.test_str: {@code __repr__}/{@code __str__}
 *       text ({@code <Queue ... _getters[1]>}, the object id).</li>
 *   <li>QueueBasicTests.test_generic_alias: {@code asyncio.Queue[int]} is a Python typing
 *       object; Java generics are erased.</li>
 *   <li>QueuePutTests.test_float_maxsize: a float maxsize is a Python-only argument
 *       ({@code new AsyncQueue<>(int)}).</li>
 *   <li>test_format of QueueJoinTests, LifoQueueJoinTests, PriorityQueueJoinTests,
 *       QueueShutdownTests, LifoQueueShutdownTests, PriorityQueueShutdownTests: the private
 *       {@code _format()} text used by {@code __repr__}.</li>
 * </ul>
 */
class TestQueues {

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

    /** {@code len(q._getters)}: read from toString, the only public view of the waiting consumers. */
    static int getters(AsyncQueue<?> q) {
        return count(q.toString(), "getters");
    }

    /** {@code len(q._putters)}: read from toString, the only public view of the waiting producers. */
    static int putters(AsyncQueue<?> q) {
        return count(q.toString(), "putters");
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile("\\b" + what + "=(\\d+)").matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** A queue of the given maxsize, 0 meaning unbounded (asyncio's default). */
    static <T> AsyncQueue<T> fifo(int maxsize) {
        return maxsize == 0 ? new AsyncQueue<>() : new AsyncQueue<>(maxsize);
    }

    /** asyncio.LifoQueue. */
    static <T> AsyncQueue<T> lifo(int maxsize) {
        return maxsize == 0 ? AsyncQueue.lifo() : AsyncQueue.lifo(maxsize);
    }

    /** asyncio.PriorityQueue (items compared by their natural order, as heapq does). */
    static <T extends Comparable<? super T>> AsyncQueue<T> priority(int maxsize) {
        return maxsize == 0 ? AsyncQueue.priority() : AsyncQueue.priority(maxsize);
    }

    // ==================================================================== QueueBasicTests

    @Nested
    class QueueBasicTests {

        /** empty() is isEmpty(): true before a put, false after, true again after the get. */
        @Test
        void test_empty() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();
                assertTrue(q.isEmpty());
                q.put(1);
                assertFalse(q.isEmpty());
                assertEquals(1, q.get());
                assertTrue(q.isEmpty());
            });
        }

        /** full() is isFull(): never for an unbounded queue, true once maxsize items are in. */
        @Test
        void test_full() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();
                assertFalse(q.isFull());

                AsyncQueue<Integer> q1 = new AsyncQueue<>(1);
                q1.put(1);
                assertTrue(q1.isFull());
            });
        }

        /** Items come out in the order they were put (FIFO). */
        @Test
        void test_order() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();
                for (int i : new int[] {1, 3, 2}) {
                    q.put(i);
                }
                List<Integer> items = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    items.add(q.get());
                }
                assertEquals(List.of(1, 3, 2), items);
            });
        }

        /** A producer blocks once maxsize items are in and resumes, one step later, after a get. */
        @Test
        void test_maxsize() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>(2);
                assertEquals(2, q.maxsize());
                List<Integer> haveBeenPut = new ArrayList<>();

                Task<Boolean> t = Async.spawn(() -> {
                    for (int i = 0; i < 3; i++) {
                        q.put(i);
                        haveBeenPut.add(i);
                    }
                    return true;
                });
                for (int i = 0; i < 2; i++) {
                    sleep0();
                }

                // The putter is blocked after putting two items.
                assertEquals(List.of(0, 1), haveBeenPut);
                assertEquals(0, q.get());

                // Let the putter resume and put last item.
                sleep0();
                assertEquals(List.of(0, 1, 2), haveBeenPut);
                assertEquals(1, q.get());
                assertEquals(2, q.get());

                assertTrue(t.isDone());
                assertTrue(t.result());
            });
        }
    }

    // ==================================================================== QueueGetTests

    @Nested
    class QueueGetTests {

        /** get() of a queued item returns it. */
        @Test
        void test_blocking_get() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();
                q.putNowait(1);
                assertEquals(1, q.get());
            });
        }

        /**
         * A get from a full queue wakes the waiting putter. Python appends a bare future to the
         * private {@code _putters} and checks get() completed it; Java cannot reach the deque, so a
         * real putter task waits instead, and the check is that it completes (with no result)
         * after the get and its item is then in the queue.
         */
        @Test
        void test_get_with_putters() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>(1);
                q.put(1);

                Task<Void> waiter = spawn(() -> q.put(2));
                sleep0();
                assertEquals(1, putters(q));

                assertEquals(1, q.get());
                sleep0();
                assertTrue(waiter.isDone());
                assertNull(waiter.result());
                assertEquals(1, q.size());
            });
        }

        /** A get waits until a put from a timer callback. */
        @Test
        void test_blocking_get_wait() throws Exception {
            runAsync(() -> {
                EventLoop loop = EventLoop.current();
                AsyncQueue<Integer> q = new AsyncQueue<>();
                AsyncEvent started = new AsyncEvent();
                boolean[] finished = {false};

                Task<Integer> queueGetTask = Async.spawn(() -> {
                    started.set();
                    Integer res = q.get();
                    finished[0] = true;
                    return res;
                });
                started.await();
                assertFalse(finished[0]);
                loop.callLater(Duration.ofMillis(10), () -> q.putNowait(1));
                int res = Async.await(queueGetTask);
                assertTrue(finished[0]);
                assertEquals(1, res);
            });
        }

        /** getNowait() of a queued item returns it (no loop needed). */
        @Test
        void test_nonblocking_get() {
            AsyncQueue<Integer> q = new AsyncQueue<>();
            q.putNowait(1);
            assertEquals(1, q.getNowait());
        }

        /** getNowait() of an empty queue raises QueueEmptyException (asyncio.QueueEmpty). */
        @Test
        void test_nonblocking_get_exception() {
            AsyncQueue<Integer> q = new AsyncQueue<>();
            assertThrows(QueueEmptyException.class, q::getNowait);
        }

        /** A cancelled getter does not take the next item: the other waiting getter gets it. */
        @Test
        void test_get_cancelled_race() throws Exception {
            runAsync(() -> {
                AsyncQueue<String> q = new AsyncQueue<>();

                Task<String> t1 = Async.spawn(q::get);
                Task<String> t2 = Async.spawn(q::get);

                sleep0();
                t1.cancel();
                sleep0();
                assertTrue(t1.isDone());
                q.put("a");
                sleep0();
                assertEquals("a", Async.await(t2));
            });
        }

        /** Waiting putters are served in order as a consumer gets: 'a' then 'b'. */
        @Test
        void test_get_with_waiting_putters() throws Exception {
            runAsync(() -> {
                AsyncQueue<String> q = new AsyncQueue<>(1);
                spawn(() -> q.put("a"));
                spawn(() -> q.put("b"));
                assertEquals("a", q.get());
                assertEquals("b", q.get());
            });
        }

        /** A producer and a consumer on a queue of size 1 both finish (no lost wake-up). */
        @Test
        void test_why_are_getters_waiting() throws Exception {
            runAsync(() -> {
                int producerNumItems = 5;
                AsyncQueue<Integer> q = new AsyncQueue<>(1);
                try (TaskGroup tg = TaskGroup.open()) {
                    tg.spawn(() -> {
                        for (int i = 0; i < producerNumItems; i++) {
                            q.put(i);
                        }
                        return null;
                    });
                    tg.spawn(() -> {
                        for (int i = 0; i < producerNumItems; i++) {
                            q.get();
                        }
                        return null;
                    });
                }
            });
        }

        /** A get abandoned by waitFor's timeout leaves no waiting getter behind. */
        @Test
        void test_cancelled_getters_not_being_held_in_self_getters() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> queue = new AsyncQueue<>(5);

                assertThrows(TimeoutException.class,
                        () -> Async.waitFor(Async.spawn(queue::get), Duration.ofMillis(100)));

                assertEquals(0, getters(queue));
            });
        }
    }

    // ==================================================================== QueuePutTests

    @Nested
    class QueuePutTests {

        /** put() on an unbounded queue does not block. */
        @Test
        void test_blocking_put() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();

                // No maxsize, won't block.
                q.put(1);
                assertEquals(1, q.get());
            });
        }

        /** A put on a full queue waits until a timer callback takes an item. */
        @Test
        void test_blocking_put_wait() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>(1);
                AsyncEvent started = new AsyncEvent();
                boolean[] finished = {false};

                EventLoop loop = EventLoop.current();
                loop.callLater(Duration.ofMillis(10), () -> q.getNowait());
                Task<Void> queuePutTask = spawn(() -> {
                    started.set();
                    q.put(1);
                    q.put(2);
                    finished[0] = true;
                });
                started.await();
                assertFalse(finished[0]);
                Async.await(queuePutTask);
                assertTrue(finished[0]);
            });
        }

        /** putNowait then getNowait (no loop needed). */
        @Test
        void test_nonblocking_put() {
            AsyncQueue<Integer> q = new AsyncQueue<>();
            q.putNowait(1);
            assertEquals(1, q.getNowait());
        }

        /** A getter cancelled after it was woken does not drop the item it was woken for. */
        @Test
        void test_get_cancel_drop_one_pending_reader() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();

                List<Task<Integer>> reader = new ArrayList<>(List.of(Async.spawn(q::get)));

                sleep0();

                q.putNowait(1);
                q.putNowait(2);
                reader.get(0).cancel();

                try {
                    Async.await(reader.get(0));
                } catch (CancelledException e) {
                    // try again
                    reader.set(0, Async.spawn(q::get));
                    Async.await(reader.get(0));
                }

                int result = reader.get(0).result();
                // if we get 2, it means 1 got dropped!
                assertEquals(1, result);
            });
        }

        /** Of three readers, one cancelled after being woken: the other two get both items. */
        @Test
        void test_get_cancel_drop_many_pending_readers() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();
                Task<Integer> reader2;
                Task<Integer> reader3;

                try (TaskGroup tg = TaskGroup.open()) {
                    Task<Integer> reader1 = tg.spawn(q::get);
                    reader2 = tg.spawn(q::get);
                    reader3 = tg.spawn(q::get);

                    sleep0();

                    q.putNowait(1);
                    q.putNowait(2);
                    reader1.cancel();

                    assertThrows(CancelledException.class, () -> Async.await(reader1));

                    Async.await(reader3);
                }

                // It is undefined in which order concurrent readers receive results.
                assertEquals(Set.of(1, 2), Set.of(reader2.result(), reader3.result()));
            });
        }

        /** A putter cancelled after it was woken does not leave its item in the queue. */
        @Test
        void test_put_cancel_drop() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>(1);

                q.putNowait(1);

                // putting a second item in the queue has to block (qsize=1)
                List<Task<Void>> writer = new ArrayList<>(List.of(spawn(() -> q.put(2))));
                sleep0();

                int value1 = q.getNowait();
                assertEquals(1, value1);

                writer.get(0).cancel();
                try {
                    Async.await(writer.get(0));
                } catch (CancelledException e) {
                    // try again
                    writer.set(0, spawn(() -> q.put(2)));
                    Async.await(writer.get(0));
                }

                int value2 = q.getNowait();
                assertEquals(2, value2);
                assertEquals(0, q.size());
            });
        }

        /** putNowait on a full queue raises QueueFullException (asyncio.QueueFull). */
        @Test
        void test_nonblocking_put_exception() {
            AsyncQueue<Integer> q = new AsyncQueue<>(1);
            q.putNowait(1);
            assertThrows(QueueFullException.class, () -> q.putNowait(2));
        }

        /** A put task completes before the get that waited for its item resumes. */
        @Test
        void test_put_cancelled() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = new AsyncQueue<>();

                Task<Boolean> t = Async.spawn(() -> {
                    q.put(1);
                    return true;
                });

                assertEquals(1, q.get());
                assertTrue(t.isDone());
                assertTrue(t.result());
            });
        }

        /** A cancelled waiting putter does not take the slot: the earlier putter 'b' gets it. */
        @Test
        void test_put_cancelled_race() throws Exception {
            runAsync(() -> {
                AsyncQueue<String> q = new AsyncQueue<>(1);

                Task<Void> putA = spawn(() -> q.put("a"));
                Task<Void> putB = spawn(() -> q.put("b"));
                Task<Void> putC = spawn(() -> q.put("X"));

                sleep0();
                assertTrue(putA.isDone());
                assertFalse(putB.isDone());

                putC.cancel();
                sleep0();
                assertTrue(putC.isDone());
                assertEquals("a", q.getNowait());
                sleep0();
                assertEquals("b", q.getNowait());

                Async.await(putB);
            });
        }

        /** A put hands its item to the getter already waiting. */
        @Test
        void test_put_with_waiting_getters() throws Exception {
            runAsync(() -> {
                AsyncQueue<String> q = new AsyncQueue<>();
                Task<String> t = Async.spawn(q::get);
                sleep0();
                q.put("a");
                assertEquals("a", Async.await(t));
            });
        }

        /** getNowait calls wake one waiting putter each, so all four putters finish. */
        @Test
        void test_why_are_putters_waiting() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> queue = new AsyncQueue<>(2);

                try (TaskGroup tg = TaskGroup.open()) {
                    tg.spawn(() -> {
                        sleep0();
                        int num = queue.size();
                        for (int i = 0; i < num; i++) {
                            queue.getNowait();
                        }
                        return null;
                    });
                    for (int item = 0; item < 4; item++) {
                        int it = item;
                        tg.spawn(() -> {
                            queue.put(it);
                            return null;
                        });
                    }
                }
            });
        }

        /** A waiting putter cancelled is removed from the putters (counted through toString). */
        @Test
        void test_cancelled_puts_not_being_held_in_self_putters() throws Exception {
            runAsync(() -> {
                // Full queue.
                AsyncQueue<Integer> queue = new AsyncQueue<>(1);
                queue.putNowait(1);

                // Task waiting for space to put an item in the queue.
                Task<Void> putTask = spawn(() -> queue.put(1));
                sleep0();

                // Check that the putter is correctly removed from the putters when the task is canceled.
                assertEquals(1, putters(queue));
                putTask.cancel();
                assertThrows(CancelledException.class, () -> Async.await(putTask));
                assertEquals(0, putters(queue));
            });
        }

        /**
         * A putter cancelled after getNowait already removed (and woke) it raises
         * CancelledException, not an error from removing it twice.
         */
        @Test
        void test_cancelled_put_silence_value_error_exception() throws Exception {
            runAsync(() -> {
                // Full Queue.
                AsyncQueue<Integer> queue = new AsyncQueue<>(1);
                queue.putNowait(1);

                // Task waiting for space to put a item in the queue.
                Task<Void> putTask = spawn(() -> queue.put(1));
                sleep0();

                // getNowait() removes the future of putTask from the putters.
                queue.getNowait();
                // When cancelled, put removes its future again, which must be harmless.
                putTask.cancel();

                assertThrows(CancelledException.class, () -> Async.await(putTask));
            });
        }
    }

    // ==================================================================== LifoQueueTests

    @Nested
    class LifoQueueTests {

        /** A LIFO queue returns the last item put first. */
        @Test
        void test_order() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = lifo(0);
                for (int i : new int[] {1, 3, 2}) {
                    q.put(i);
                }
                List<Integer> items = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    items.add(q.get());
                }
                assertEquals(List.of(2, 3, 1), items);
            });
        }
    }

    // ==================================================================== PriorityQueueTests

    @Nested
    class PriorityQueueTests {

        /** A priority queue returns the smallest item first. */
        @Test
        void test_order() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = priority(0);
                for (int i : new int[] {1, 3, 2}) {
                    q.put(i);
                }
                List<Integer> items = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    items.add(q.get());
                }
                assertEquals(List.of(1, 2, 3), items);
            });
        }
    }

    // ==================================================================== _QueueJoinTestMixin

    /** asyncio's {@code _QueueJoinTestMixin}: {@code q_class} is {@link #newQueue()}. */
    abstract class QueueJoinTestMixin {

        abstract AsyncQueue<Integer> newQueue();

        /** taskDone() with no unfinished item raises IllegalStateException (Python: ValueError). */
        @Test
        void test_task_done_underflow() {
            AsyncQueue<Integer> q = newQueue();
            assertThrows(IllegalStateException.class, q::taskDone);
        }

        /** join() returns once two workers have marked all 100 items done. */
        @Test
        void test_task_done() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = newQueue();
                for (int i = 0; i < 100; i++) {
                    q.putNowait(i);
                }

                int[] accumulator = {0};

                // Two workers get items from the queue and call taskDone after each.
                // Join the queue and assert all items have been processed.
                boolean[] running = {true};

                try (TaskGroup tg = TaskGroup.open()) {
                    List<Task<Void>> tasks = new ArrayList<>();
                    for (int index = 0; index < 2; index++) {
                        tasks.add(tg.spawn(() -> {
                            while (running[0]) {
                                int item = q.get();
                                accumulator[0] += item;
                                q.taskDone();
                            }
                            return null;
                        }));
                    }

                    q.join();
                    assertEquals(4950, accumulator[0]);

                    // close running workers
                    running[0] = false;
                    for (int i = 0; i < tasks.size(); i++) {
                        q.putNowait(0);
                    }
                }
            });
        }

        /** join() of a queue that never had items returns at once (twice). */
        @Test
        void test_join_empty_queue() throws Exception {
            runAsync(() -> {
                AsyncQueue<Integer> q = newQueue();

                // Test that a queue join()s successfully, and before anything else
                // (done twice for insurance).
                q.join();
                q.join();
            });
        }
    }

    @Nested
    class QueueJoinTests extends QueueJoinTestMixin {
        @Override
        AsyncQueue<Integer> newQueue() {
            return fifo(0);
        }
    }

    @Nested
    class LifoQueueJoinTests extends QueueJoinTestMixin {
        @Override
        AsyncQueue<Integer> newQueue() {
            return lifo(0);
        }
    }

    @Nested
    class PriorityQueueJoinTests extends QueueJoinTestMixin {
        @Override
        AsyncQueue<Integer> newQueue() {
            return priority(0);
        }
    }

    // ==================================================================== _QueueShutdownTestMixin

    /** asyncio's {@code _QueueShutdownTestMixin}: {@code q_class(maxsize)} is {@link #newQueue(int)}. */
    abstract class QueueShutdownTestMixin {

        /** A queue of {@code maxsize}, 0 meaning unbounded. */
        abstract AsyncQueue<String> newQueue(int maxsize);

        /** {@code assertRaisesShutdown()} around {@code body}. */
        void assertRaisesShutdown(org.junit.jupiter.api.function.Executable body) {
            assertThrows(QueueShutDownException.class, body, "Didn't appear to shut-down queue");
        }

        /** Shutting down an empty queue: join returns, the waiting get fails, and so do later puts and gets. */
        @Test
        void test_shutdown_empty() throws Exception {
            runAsync(() -> {
                // Setup empty queue, and join() and get() tasks
                AsyncQueue<String> q = newQueue(0);
                EventLoop loop = EventLoop.current();
                Task<String> getTask = loop.createTask(q::get);
                sleep0(); // want get task pending before shutdown

                // Perform shut-down
                q.shutdown(false); // unfinished tasks: 0 -> 0

                assertEquals(0, q.size());

                // Ensure join() task successfully finishes
                q.join();

                // Ensure get() task is finished, and raised ShutDown
                sleep0();
                assertTrue(getTask.isDone());
                assertRaisesShutdown(() -> Async.await(getTask));

                // Ensure put() and get() raise ShutDown
                assertRaisesShutdown(() -> q.put("data"));
                assertRaisesShutdown(() -> q.putNowait("data"));

                assertRaisesShutdown(q::get);
                assertRaisesShutdown(q::getNowait);
            });
        }

        /** Shutting down a full queue: the waiting put fails, the queued item can still be got, join waits for its taskDone. */
        @Test
        void test_shutdown_nonempty() throws Exception {
            runAsync(() -> {
                // Setup full queue with 1 item, and join() and put() tasks
                AsyncQueue<String> q = newQueue(1);
                EventLoop loop = EventLoop.current();

                q.putNowait("data");
                Task<Void> joinTask = loop.createTask(() -> {
                    q.join();
                    return null;
                });
                Task<Void> putTask = loop.createTask(() -> {
                    q.put("data2");
                    return null;
                });

                // Ensure put() task is not finished
                sleep0();
                assertFalse(putTask.isDone());

                // Perform shut-down
                q.shutdown(false); // unfinished tasks: 1 -> 1

                assertEquals(1, q.size());

                // Ensure put() task is finished, and raised ShutDown
                sleep0();
                assertTrue(putTask.isDone());
                assertRaisesShutdown(() -> Async.await(putTask));

                // Ensure get() succeeds on enqueued item
                assertEquals("data", q.get());

                // Ensure join() task is not finished
                sleep0();
                assertFalse(joinTask.isDone());

                // Ensure put() and get() raise ShutDown
                assertRaisesShutdown(() -> q.put("data"));
                assertRaisesShutdown(() -> q.putNowait("data"));

                assertRaisesShutdown(q::get);
                assertRaisesShutdown(q::getNowait);

                // Ensure there is 1 unfinished task, and join() task succeeds
                q.taskDone();

                sleep0();
                assertTrue(joinTask.isDone());
                Async.await(joinTask);

                assertThrows(IllegalStateException.class, q::taskDone, "Didn't appear to mark all tasks done");
            });
        }

        /** shutdown(immediate) discards the queued item, counts it done (join returns), and refuses everything after. */
        @Test
        void test_shutdown_immediate() throws Exception {
            runAsync(() -> {
                // Setup queue with 1 item, and a join() task
                AsyncQueue<String> q = newQueue(0);
                EventLoop loop = EventLoop.current();
                q.putNowait("data");
                Task<Void> joinTask = loop.createTask(() -> {
                    q.join();
                    return null;
                });

                // Perform shut-down
                q.shutdown(true); // unfinished tasks: 1 -> 0

                assertEquals(0, q.size());

                // Ensure join() task has successfully finished
                sleep0();
                assertTrue(joinTask.isDone());
                Async.await(joinTask);

                // Ensure put() and get() raise ShutDown
                assertRaisesShutdown(() -> q.put("data"));
                assertRaisesShutdown(() -> q.putNowait("data"));

                assertRaisesShutdown(q::get);
                assertRaisesShutdown(q::getNowait);

                // Ensure there are no unfinished tasks
                assertThrows(IllegalStateException.class, q::taskDone, "Didn't appear to mark all tasks done");
            });
        }

        /** shutdown(immediate) with an item already taken: join still waits for that item's taskDone. */
        @Test
        void test_shutdown_immediate_with_unfinished() throws Exception {
            runAsync(() -> {
                // Setup queue with 2 items (1 retrieved), and a join() task
                AsyncQueue<String> q = newQueue(0);
                EventLoop loop = EventLoop.current();
                q.putNowait("data");
                q.putNowait("data");
                Task<Void> joinTask = loop.createTask(() -> {
                    q.join();
                    return null;
                });
                assertEquals("data", q.get());

                // Perform shut-down
                q.shutdown(true); // unfinished tasks: 2 -> 1

                assertEquals(0, q.size());

                // Ensure join() task is not finished
                sleep0();
                assertFalse(joinTask.isDone());

                // Ensure put() and get() raise ShutDown
                assertRaisesShutdown(() -> q.put("data"));
                assertRaisesShutdown(() -> q.putNowait("data"));

                assertRaisesShutdown(q::get);
                assertRaisesShutdown(q::getNowait);

                // Ensure there is 1 unfinished task
                q.taskDone();
                assertThrows(IllegalStateException.class, q::taskDone, "Didn't appear to mark all tasks done");

                // Ensure join() task has successfully finished
                sleep0();
                assertTrue(joinTask.isDone());
                Async.await(joinTask);
            });
        }
    }

    @Nested
    class QueueShutdownTests extends QueueShutdownTestMixin {
        @Override
        AsyncQueue<String> newQueue(int maxsize) {
            return fifo(maxsize);
        }
    }

    @Nested
    class LifoQueueShutdownTests extends QueueShutdownTestMixin {
        @Override
        AsyncQueue<String> newQueue(int maxsize) {
            return lifo(maxsize);
        }
    }

    @Nested
    class PriorityQueueShutdownTests extends QueueShutdownTestMixin {
        @Override
        AsyncQueue<String> newQueue(int maxsize) {
            return priority(maxsize);
        }
    }
}
