package io.loopbridge;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.Objects;

/**
 * A queue for the tasks of one loop (asyncio.Queue, with Python 3.13's shutdown): FIFO, or
 * LIFO ({@link #lifo()}, asyncio.LifoQueue) or by priority ({@link #priority()},
 * asyncio.PriorityQueue, smallest first). Bounded queues make {@link #put} wait for space;
 * {@link #get} waits for an item. Waiting producers and consumers are served in FIFO order. {@link #taskDone()} and {@link #join()}
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
    private final Items<T> items;
    private final ParkingLot getters = new ParkingLot();
    private final ParkingLot putters = new ParkingLot();
    private final AsyncEvent finished = new AsyncEvent(true);
    private int unfinishedTasks;
    private boolean shutDown;

    /** Where the items wait: the order {@link #get} takes them in. */
    private interface Items<T> {
        void add(T item);

        T poll();

        int size();

        default boolean isEmpty() {
            return size() == 0;
        }

        void clear();
    }

    private record Fifo<T>(ArrayDeque<T> deque) implements Items<T> {
        @Override
        public void add(T item) {
            deque.addLast(item);
        }

        @Override
        public T poll() {
            return deque.pollFirst();
        }

        @Override
        public int size() {
            return deque.size();
        }

        @Override
        public void clear() {
            deque.clear();
        }
    }

    private record Lifo<T>(ArrayDeque<T> deque) implements Items<T> {
        @Override
        public void add(T item) {
            deque.addLast(item);
        }

        @Override
        public T poll() {
            return deque.pollLast();
        }

        @Override
        public int size() {
            return deque.size();
        }

        @Override
        public void clear() {
            deque.clear();
        }
    }

    private record Priority<T>(PriorityQueue<T> heap) implements Items<T> {
        @Override
        public void add(T item) {
            heap.add(item);
        }

        @Override
        public T poll() {
            return heap.poll();
        }

        @Override
        public int size() {
            return heap.size();
        }

        @Override
        public void clear() {
            heap.clear();
        }
    }

    private AsyncQueue(int maxsize, Items<T> items) {
        if (maxsize < 0) {
            throw new IllegalArgumentException("maxsize must be >= 1, or 0 for an unbounded queue, not " + maxsize);
        }
        this.maxsize = maxsize;
        this.items = items;
    }

    /** An unbounded FIFO queue. */
    public AsyncQueue() {
        this(0, new Fifo<>(new ArrayDeque<>()));
    }

    /** An unbounded LIFO queue (asyncio.LifoQueue): {@link #get} takes the item put last. */
    public static <T> AsyncQueue<T> lifo() {
        return new AsyncQueue<>(0, new Lifo<>(new ArrayDeque<>()));
    }

    /** A LIFO queue holding at most {@code maxsize} items (0: unbounded). */
    public static <T> AsyncQueue<T> lifo(int maxsize) {
        return new AsyncQueue<>(maxsize, new Lifo<>(new ArrayDeque<>()));
    }

    /** An unbounded priority queue (asyncio.PriorityQueue): {@link #get} takes the smallest item. */
    public static <T extends Comparable<? super T>> AsyncQueue<T> priority() {
        return new AsyncQueue<>(0, new Priority<>(new PriorityQueue<>()));
    }

    /** A priority queue holding at most {@code maxsize} items (0: unbounded). */
    public static <T extends Comparable<? super T>> AsyncQueue<T> priority(int maxsize) {
        return new AsyncQueue<>(maxsize, new Priority<>(new PriorityQueue<>()));
    }

    /** An unbounded priority queue ordered by {@code order}, smallest first. */
    public static <T> AsyncQueue<T> priority(Comparator<? super T> order) {
        return new AsyncQueue<>(0, new Priority<>(new PriorityQueue<>(Objects.requireNonNull(order, "order"))));
    }

    /**
     * A queue holding at most {@code maxsize} items.
     *
     * @throws IllegalArgumentException if {@code maxsize < 1} (use {@link #AsyncQueue()} for an unbounded queue)
     */
    public AsyncQueue(int maxsize) {
        this(checkBound(maxsize), new Fifo<>(new ArrayDeque<>()));
    }

    private static int checkBound(int maxsize) {
        if (maxsize < 1) {
            throw new IllegalArgumentException("maxsize must be >= 1, not " + maxsize
                    + "; use new AsyncQueue<>() for an unbounded queue");
        }
        return maxsize;
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
            Waiter w = Waiter.forTask(task);
            putters.join(w);
            // Woken by a get but leaving anyway: the slot goes to the next in line.
            putters.await(w, Long.MAX_VALUE, ParkingLot.UNGUARDED, () -> !full());
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
        items.add(item);
        unfinishedTasks++;
        finished.clear();
        getters.wakeOne(ParkingLot.UNGUARDED);
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
            Waiter w = Waiter.forTask(task);
            getters.join(w);
            // Woken by a put but leaving anyway: the item goes to the next in line.
            getters.await(w, Long.MAX_VALUE, ParkingLot.UNGUARDED, () -> !items.isEmpty());
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
        T item = items.poll();
        putters.wakeOne(ParkingLot.UNGUARDED);
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
            unfinishedTasks = Math.max(0, unfinishedTasks - items.size());
            items.clear();
            if (unfinishedTasks == 0) {
                finished.set();
            }
        }
        // Every waiter re-checks the state and finds the shutdown.
        getters.wakeAll(ParkingLot.UNGUARDED);
        putters.wakeAll(ParkingLot.UNGUARDED);
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
