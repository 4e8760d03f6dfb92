package io.loopbridge;

import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A FIFO queue for the tasks of one loop (asyncio.Queue, with Python 3.13's shutdown).
 * Bounded queues make {@link #put} wait for space; {@link #get} waits for an item. Waiting
 * producers and consumers are served in FIFO order. {@link #taskDone()} and {@link #join()}
 * count items that were put but not yet processed.
 *
 * <p>Null items are refused ({@link NullPointerException}).
 *
 * <p>Confined to its loop's thread: it binds to the loop it is first used on; every method
 * must then be called from that loop's thread or one of its tasks, and the waiting ones
 * ({@link #put}, {@link #get}, {@link #join}) from a task. Any other thread gets an
 * {@link IllegalStateException} naming both threads. Before it is bound, a thread that runs
 * no loop may fill it with {@link #putNowait}. Between threads and tasks, use a
 * {@link BridgeQueue}.
 *
 * @param <T> the item type
 */
public final class AsyncQueue<T> extends LoopBound {
    private final int maxsize;
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final ArrayDeque<LoopFuture<Boolean>> getters = new ArrayDeque<>();
    private final ArrayDeque<LoopFuture<Boolean>> putters = new ArrayDeque<>();
    private final AsyncEvent finished = new AsyncEvent(true);
    private int unfinishedTasks;
    private boolean shutDown;

    /** An unbounded queue. */
    public AsyncQueue() {
        this.maxsize = 0;
    }

    /**
     * A queue holding at most {@code maxsize} items.
     *
     * @throws IllegalArgumentException if {@code maxsize < 1} (use {@link #AsyncQueue()} for an unbounded queue)
     */
    public AsyncQueue(int maxsize) {
        if (maxsize < 1) {
            throw new IllegalArgumentException("maxsize must be >= 1, not " + maxsize
                    + "; use new AsyncQueue<>() for an unbounded queue");
        }
        this.maxsize = maxsize;
    }

    /** The bound on the number of items, or 0 for an unbounded queue. */
    public int maxsize() {
        return maxsize;
    }

    /** Number of items in the queue. */
    public int size() {
        checkThread("AsyncQueue.size");
        return items.size();
    }

    public boolean isEmpty() {
        checkThread("AsyncQueue.isEmpty");
        return items.isEmpty();
    }

    /** Whether the queue holds {@link #maxsize()} items (never for an unbounded queue). */
    public boolean isFull() {
        checkThread("AsyncQueue.isFull");
        return full();
    }

    private boolean full() {
        return maxsize > 0 && items.size() >= maxsize;
    }

    /** Whether {@link #shutdown} was called. */
    public boolean isShutDown() {
        checkThread("AsyncQueue.isShutDown");
        return shutDown;
    }

    /**
     * Puts {@code item} at the tail, suspending the task while the queue is full. Task only.
     *
     * @throws QueueShutDownException if the queue is (or, while waiting, gets) shut down
     * @throws CancelledException     if the task is cancelled while waiting (nothing is put)
     * @throws Exception              what a deadline of an enclosing {@link Async#timeout} raises
     */
    public void put(T item) throws Exception {
        Objects.requireNonNull(item, "item");
        Task<?> task = checkTask("AsyncQueue.put");
        while (full()) {
            if (shutDown) {
                throw shutDownException("put");
            }
            LoopFuture<Boolean> putter = task.loop.createFuture();
            putters.addLast(putter);
            try {
                task.await(putter);
            } catch (Throwable e) {
                putter.cancel((String) null); // in case it is not done yet
                putters.remove(putter);
                if (!full() && !putter.isCancelled()) {
                    // We were woken by a get but cannot take the slot: wake the next in line.
                    wakeUpNext(putters);
                }
                throw e;
            }
        }
        putNowait(item);
    }

    /**
     * Puts {@code item} at the tail if there is room.
     *
     * @throws QueueFullException     if the queue is full
     * @throws QueueShutDownException if the queue is shut down
     */
    public void putNowait(T item) {
        Objects.requireNonNull(item, "item");
        checkThread("AsyncQueue.putNowait");
        if (shutDown) {
            throw shutDownException("putNowait");
        }
        if (full()) {
            throw new QueueFullException("AsyncQueue is full (maxsize " + maxsize + "): putNowait refused");
        }
        items.addLast(item);
        unfinishedTasks++;
        finished.clear();
        wakeUpNext(getters);
    }

    /**
     * Removes and returns the head item, suspending the task while the queue is empty. After
     * {@link #shutdown}, items already queued are still returned. Task only.
     *
     * @throws QueueShutDownException if the queue is shut down and empty
     * @throws CancelledException     if the task is cancelled while waiting (no item is taken)
     * @throws Exception              what a deadline of an enclosing {@link Async#timeout} raises
     */
    public T get() throws Exception {
        Task<?> task = checkTask("AsyncQueue.get");
        while (items.isEmpty()) {
            if (shutDown) {
                throw shutDownException("get");
            }
            LoopFuture<Boolean> getter = task.loop.createFuture();
            getters.addLast(getter);
            try {
                task.await(getter);
            } catch (Throwable e) {
                getter.cancel((String) null);
                getters.remove(getter);
                if (!items.isEmpty() && !getter.isCancelled()) {
                    // We were woken by a put but cannot take the item: wake the next in line.
                    wakeUpNext(getters);
                }
                throw e;
            }
        }
        return getNowait();
    }

    /**
     * Removes and returns the head item if there is one.
     *
     * @throws QueueEmptyException    if the queue is empty
     * @throws QueueShutDownException if the queue is shut down and empty
     */
    public T getNowait() {
        checkThread("AsyncQueue.getNowait");
        if (items.isEmpty()) {
            if (shutDown) {
                throw shutDownException("getNowait");
            }
            throw new QueueEmptyException("AsyncQueue is empty: getNowait found no item");
        }
        T item = items.pollFirst();
        wakeUpNext(putters);
        return item;
    }

    /**
     * Marks one item that was taken as processed: once every put item is, {@link #join()} returns.
     *
     * @throws IllegalStateException if called more times than items were put
     */
    public void taskDone() {
        checkThread("AsyncQueue.taskDone");
        if (unfinishedTasks <= 0) {
            throw new IllegalStateException("AsyncQueue.taskDone() called more times than items were put");
        }
        unfinishedTasks--;
        if (unfinishedTasks == 0) {
            finished.set();
        }
    }

    /** Suspends the task until every item put has been marked with {@link #taskDone()}. Task only. */
    public void join() throws Exception {
        checkTask("AsyncQueue.join");
        if (unfinishedTasks > 0) {
            finished.await();
        }
    }

    /** {@link #shutdown(boolean) shutdown(false)}: queued items can still be taken. */
    public void shutdown() {
        shutdown(false);
    }

    /**
     * Shuts the queue down (Python 3.13's Queue.shutdown): every later put fails with
     * {@link QueueShutDownException}, and so does a get once the queue is empty; waiting
     * producers and consumers are woken to find out. With {@code immediate}, queued items are
     * discarded (and counted as done for {@link #join()}), so gets fail at once.
     */
    public void shutdown(boolean immediate) {
        checkThread("AsyncQueue.shutdown");
        shutDown = true;
        if (immediate) {
            while (!items.isEmpty()) {
                items.pollFirst();
                if (unfinishedTasks > 0) {
                    unfinishedTasks--;
                }
            }
            if (unfinishedTasks == 0) {
                finished.set();
            }
        }
        // Every waiter re-checks the state and finds the shutdown.
        while (!getters.isEmpty()) {
            LoopFuture<Boolean> g = getters.pollFirst();
            if (!g.isDone()) {
                g.complete(true);
            }
        }
        while (!putters.isEmpty()) {
            LoopFuture<Boolean> p = putters.pollFirst();
            if (!p.isDone()) {
                p.complete(true);
            }
        }
    }

    private static void wakeUpNext(ArrayDeque<LoopFuture<Boolean>> waiters) {
        // Skips the waiters whose task was cancelled (their futures are done).
        while (!waiters.isEmpty()) {
            LoopFuture<Boolean> w = waiters.pollFirst();
            if (!w.isDone()) {
                w.complete(true);
                break;
            }
        }
    }

    private QueueShutDownException shutDownException(String method) {
        return new QueueShutDownException("AsyncQueue." + method + "() on a queue that is shut down"
                + (method.startsWith("get") ? " and empty" : ""));
    }

    @Override
    public String toString() {
        return "AsyncQueue[size=" + items.size() + (maxsize > 0 ? ", maxsize=" + maxsize : "")
                + (getters.isEmpty() ? "" : ", getters=" + getters.size())
                + (putters.isEmpty() ? "" : ", putters=" + putters.size())
                + (unfinishedTasks > 0 ? ", unfinished=" + unfinishedTasks : "") + (shutDown ? ", shut down" : "") + "]";
    }
}
