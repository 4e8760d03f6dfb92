package io.loopbridge;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tasks of one loop that have not finished (the loop's strong references: no task
 * vanishes while it waits), and the failures nobody has read yet — asyncio's
 * {@code all_tasks()} and "exception was never retrieved" (of tasks and futures). Confined to
 * its loop's turn, except the failure watch (a concurrent set), which a thread completing a
 * future and the garbage collector's cleaner also reach.
 */
final class LoopTasks {

    /**
     * The scheduler of a FAST task's virtual thread, as the loop layer sees it: the task it
     * schedules and that task's loop (so a thread finds the loop of the task it runs without
     * naming the task layer).
     */
    interface TaskScheduler {
        Entry entry();

        Loop loop();
    }

    /** A task as its loop sees it: something that runs steps on a thread, can be cancelled, carries ContextVar values. */
    interface Entry {
        String name();

        /** The thread running the task's body (null before it starts). */
        Thread thread();

        /** Requests cancellation; false if already done. */
        boolean cancel(String message);

        /** The exception the finished task failed with (now counted as seen), or null. */
        Throwable takeFailure();

        /**
         * The loop closed and this task did not finish: ends it cancelled with {@code message},
         * so whoever waits for it is released. Its body never resumes (no loop runs it).
         */
        void abandon(String message);

        /** The ContextVar values the task runs with now. */
        Context values();

        /** Replaces them; not for a task in a shared {@link #sharedValues()} (those writes are the holder's, atomic). */
        void values(Context values);

        /** The shared holder the task runs in (a {@link ContextVar.Context}), or null when its values are its own. */
        Scope.Holder sharedValues();

        /** Position in the registry (swap-remove), -1 when not registered. */
        int registryIndex();

        void registryIndex(int index);
    }

    private final ArrayList<Entry> entries = new ArrayList<>();
    private final Set<FailureWatch> unretrieved = ConcurrentHashMap.newKeySet();
    private long ids;

    /** Registers a new task; returns its number (for its default name). */
    long add(Entry e) {
        entries.add(e);
        e.registryIndex(entries.size() - 1);
        return ++ids;
    }

    /** Drops a finished task (swap-remove, O(1)). */
    void remove(Entry e) {
        int i = e.registryIndex();
        if (i < 0) {
            return;
        }
        Entry last = entries.remove(entries.size() - 1);
        if (last != e) {
            entries.set(i, last);
            last.registryIndex(i);
        }
        e.registryIndex(-1);
    }

    int size() {
        return entries.size();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The unfinished tasks, a snapshot. */
    List<Entry> snapshot() {
        return new ArrayList<>(entries);
    }

    /** Requests cancellation of every unfinished task (asyncio.runners._cancel_all_tasks); returns them. */
    List<Entry> cancelAll(String reason) {
        List<Entry> all = snapshot();
        for (Entry e : all) {
            e.cancel(reason);
        }
        return all;
    }

    // ---------------------------------------------------------------- never-retrieved failures

    /** Starts watching a failure: reported when the object is collected, or at close, unless seen first. */
    FailureWatch watch(Loop loop, Object owner, String description, Throwable failure) {
        FailureWatch w = new FailureWatch(loop, this, description, failure);
        unretrieved.add(w);
        FailureWatch.CLEANER.register(owner, w);
        return w;
    }

    void unwatch(FailureWatch w) {
        unretrieved.remove(w);
    }

    /**
     * At close, for the tasks {@link #cancelAll} cancelled: reports to the loop's exception
     * handler each one that failed instead of ending cancelled (as asyncio.run does).
     */
    void reportFailedAfterCancel(List<Entry> cancelled, Loop loop) {
        for (Entry e : cancelled) {
            Throwable failure = e.takeFailure();
            if (failure != null) {
                loop.callExceptionHandler(new ExceptionContext("unhandled exception during shutdown of event loop '"
                        + loop.name() + "' in " + e.name(), failure, e));
            }
        }
    }

    /** At close, after the drain: ends every task still unfinished ({@link Entry#abandon}). */
    void abandonAll(String message) {
        for (Entry e : snapshot()) {
            e.abandon(message);
        }
    }

    /** Reports every failure still unread (the loop is closing). */
    void reportUnretrieved() {
        if (unretrieved.isEmpty()) {
            return;
        }
        for (FailureWatch w : List.copyOf(unretrieved)) {
            w.run(); // a report or a read takes it out of the set; one added meanwhile stays for the next sweep
        }
    }
}
