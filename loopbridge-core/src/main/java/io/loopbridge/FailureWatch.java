package io.loopbridge;

import java.lang.ref.Cleaner;

/**
 * asyncio's "exception was never retrieved": remembers a failed future's (or task's)
 * exception without keeping the future alive, and reports it once if nobody read it before
 * the future was collected or its loop closed. Thread-safe.
 */
final class FailureWatch implements Runnable {
    static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("loopbridge-cleaner").factory());

    private final Loop loop;
    private final LoopTasks tasks;
    private final String description;
    private final Throwable exception;
    private boolean done;

    FailureWatch(Loop loop, LoopTasks tasks, String description, Throwable exception) {
        this.loop = loop;
        this.tasks = tasks;
        this.description = description;
        this.exception = exception;
    }

    /** Someone read the failure: it will not be reported. */
    synchronized void retrieved() {
        done = true;
        tasks.unwatch(this);
    }

    /**
     * Reports the failure unless it was read. Called by the cleaner once the future is collected
     * (then the report is handed to the loop, whose exception handler runs on the loop thread;
     * if the loop closes first, its close reports what is still watched) or by the closing loop.
     */
    @Override
    public void run() {
        synchronized (this) {
            if (done) {
                return;
            }
        }
        if (!loop.inLoop() && !loop.api().isClosed()) {
            loop.post(new Callback(this::report, null) {
                @Override
                boolean dropped() {
                    report(); // the loop closed first: reported here rather than lost
                    return true;
                }
            });
            return;
        }
        report();
    }

    private void report() {
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
        }
        tasks.unwatch(this);
        loop.callExceptionHandler(new ExceptionContext(description + " failed with " + describe(exception)
                + ": exception was never retrieved", exception, null));
    }

    /** The exception's {@code toString}, which is the application's code: one that throws still leaves a report. */
    private static String describe(Throwable e) {
        try {
            return String.valueOf(e);
        } catch (RuntimeException | LinkageError | StackOverflowError broken) {
            return e.getClass().getName() + " (its toString() threw " + broken.getClass().getName() + ")";
        }
    }
}
