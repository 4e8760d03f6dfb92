package io.loopbridge;

import java.lang.ref.Cleaner;

/**
 * asyncio's "Task exception was never retrieved": remembers a failed task's exception
 * without keeping the task alive, and reports it once if nobody read it before the task
 * was collected or its loop closed.
 */
final class FailureWatch implements Runnable {
    static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("loopbridge-cleaner").factory());

    private final SelectorEventLoop loop;
    private final String description;
    private final Throwable exception;
    volatile boolean retrieved;
    private boolean reported;

    FailureWatch(SelectorEventLoop loop, String description, Throwable exception) {
        this.loop = loop;
        this.description = description;
        this.exception = exception;
    }

    @Override
    public synchronized void run() {
        if (retrieved || reported) {
            return;
        }
        reported = true;
        loop.unwatch(this);
        loop.callExceptionHandler(new ExceptionContext(description + ": exception was never retrieved", exception, null));
    }
}
