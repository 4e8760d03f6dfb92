package io.loopbridge;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The stages given to {@link Async#asCompletedStages}, handed back in the order they finish
 * (asyncio 3.13's {@code as_completed} iterated with {@code async for}). Its own iterator, so a
 * second for-each resumes where the first stopped. Confined to its loop: completions are queued
 * by callbacks on the loop, and {@link #next()} waits in a task of it.
 */
final class CompletionOrder<S extends CompletionStage<?>> implements Iterable<S>, Iterator<S> {
    private final Loop loop;
    /** Finished stages not handed out yet, in the order they finished. */
    private final ArrayDeque<S> done = new ArrayDeque<>();
    /** Tasks waiting in {@link #next()} for a stage to finish. */
    private final ParkingLot waiters = new ParkingLot();
    /** Stages not handed out yet, finished or not. */
    private int left;

    CompletionOrder(Loop loop, Collection<S> stages) {
        this.loop = loop;
        Set<S> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        for (S s : stages) {
            if (distinct.add(Objects.requireNonNull(s, "a stage is null"))) {
                // A callback of its own on the loop for each completion, as asyncio's done-callbacks;
                // a listener, not addDoneCallback, so a failure stays unread until the caller reads it.
                LoopFuture.wrap(loop, (CompletionStage<?>) s).addListener(f -> loop.post(new Callback(() -> finished(s), null)));
            }
        }
        left = distinct.size();
    }

    private void finished(S stage) {
        done.addLast(stage);
        waiters.wakePending(Integer.MAX_VALUE); // each re-checks; usually there is one
    }

    @Override
    public Iterator<S> iterator() {
        return this;
    }

    /** Whether a stage is still to be handed out (finished or not). Does not wait. */
    @Override
    public boolean hasNext() {
        return left > 0;
    }

    /**
     * The next stage to finish, itself: at once if one has finished and was not handed out yet,
     * else after suspending the calling task until one does. A wait that ends with an exception
     * hands out nothing, so a later call still returns every stage.
     *
     * @throws NoSuchElementException  if every stage has been handed out
     * @throws IllegalStateException   if not called in a task of the loop the stages were given on
     * @throws BlockingOnLoopException on the loop's thread outside any task
     * @throws CancelledException      if the task is cancelled while waiting
     */
    @Override
    public S next() {
        if (left == 0) {
            throw new NoSuchElementException("Async.asCompletedStages: every stage has been handed out");
        }
        Task<?> task = Waiting.enter("Async.asCompletedStages(...).next()");
        if (task == null || task.loop != loop) {
            throw new IllegalStateException("Async.asCompletedStages(...).next() called from thread '"
                    + Thread.currentThread().getName() + "', which is not a task of event loop '" + loop.name()
                    + "' where the stages were given: iterate in a task of that loop");
        }
        while (done.isEmpty()) {
            Waiter w = Waiter.forTask(task);
            waiters.join(w);
            try {
                w.await(Long.MAX_VALUE);
            } catch (Exception e) {
                throw Sneaky.<RuntimeException>raise(e);
            } finally {
                waiters.leave(w);
            }
        }
        left--;
        return done.pollFirst();
    }

    @Override
    public String toString() {
        return "Async.asCompletedStages[" + left + " left, " + done.size() + " finished]";
    }

    /**
     * Throws a checked exception through {@link Iterator#next()}, which cannot declare one: the
     * {@code TimeoutException} an enclosing {@code Async.timeout} raises at this suspension point
     * must arrive as itself, or the timeout could not recognise it as its own.
     */
    private static final class Sneaky {
        @SuppressWarnings("unchecked")
        static <E extends Exception> E raise(Exception e) throws E {
            throw (E) e;
        }
    }
}
