package io.loopbridge.jcstress;

import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Running loops shared by the tests of one forked JVM, one per task mode, each created on
 * first use. They run on daemon threads and are never closed: jcstress's forked JVM ends
 * when its main thread does, and a non-daemon loop thread would keep it alive.
 * {@link TaskMode#FAST} needs {@code --add-opens java.base/java.lang=ALL-UNNAMED} in the
 * forked JVMs, which {@code bench/jcstress.sh} passes to them.
 */
final class Loops {
    private Loops() {
    }

    private static final class Fast {
        static final EventLoop LOOP = start(TaskMode.FAST);
    }

    private static final class Portable {
        static final EventLoop LOOP = start(TaskMode.PORTABLE);
    }

    static EventLoop running(TaskMode mode) {
        return mode == TaskMode.FAST ? Fast.LOOP : Portable.LOOP;
    }

    private static EventLoop start(TaskMode mode) {
        EventLoop loop = EventLoop.builder().name("jcstress-" + mode.name().toLowerCase()).taskMode(mode).build();
        CompletableFuture<Void> running = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> running.complete(null));
        Thread.ofPlatform().name(loop.name()).daemon(true).start(loop::runForever);
        try {
            running.get(SETTLE_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("loop '" + loop.name() + "' did not start in " + SETTLE_SECONDS + " s", e);
        }
        return loop;
    }

    /** Creates a task of {@code loop} running {@code body}, from any thread; returns once it exists. */
    static <T> Task<T> spawn(EventLoop loop, Callable<T> body) {
        CompletableFuture<Task<T>> created = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> created.complete(loop.createTask(body)));
        try {
            return created.get(SETTLE_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("loop '" + loop.name() + "' did not create a task in "
                    + SETTLE_SECONDS + " s", e);
        }
    }

    /** How long {@link #settle} waits for a task: far beyond any scheduling delay, short of a CI timeout. */
    static final long SETTLE_SECONDS = 20;

    /** Set once a task hung: later rounds do not wait again (the test has failed already). */
    private static volatile boolean hangSeen;

    /**
     * Waits (blocking this plain thread) for {@code task} to finish; false if it did not within
     * {@link #SETTLE_SECONDS}. A hung task then shows as an outcome instead of hanging the
     * forked JVM (jcstress has no timeout around its own pre-run checks). After the first hang
     * it no longer waits, so that a broken build fails in seconds, not hours.
     */
    static boolean settle(Task<?> task) {
        if (hangSeen) {
            return task.isDone();
        }
        try {
            task.get(SETTLE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            hangSeen = true;
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            // done: its outcome is read by the caller
        }
        return true;
    }
}
