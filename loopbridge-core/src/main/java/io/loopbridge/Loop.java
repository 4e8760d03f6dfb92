package io.loopbridge;

import java.util.concurrent.Executor;

/**
 * What futures, tasks and the layers above need of their loop, and nothing more: the narrow
 * internal face of {@link SelectorEventLoop}, as asyncio's futures see their loop only through
 * {@code call_soon} and {@code call_exception_handler}. The layers above never name the loop
 * class; they hold a {@code Loop}.
 *
 * <p>Thread-safety: {@link #post}, {@link #scheduleStep}, {@link #name()}, {@link #time()},
 * {@link #inLoop()} and {@link #loopThread()} from any thread; the rest on the loop's turn.
 */
sealed interface Loop permits SelectorEventLoop {

    /** The public face of this loop. */
    EventLoop api();

    /** The loop behind a public {@link EventLoop} (the sealed interface has this one implementation). */
    static Loop of(EventLoop loop) {
        return switch (loop) {
            case SelectorEventLoop l -> l;
        };
    }

    /** The loop running on this thread (its loop thread, or the task whose step runs), or null. */
    static Loop current() {
        return Scope.loop();
    }

    String name();

    boolean debug();

    TaskMode taskMode();

    long time();

    boolean inLoop();

    /** Whether the loop is closing or closed. */
    boolean closing();

    /** Whether new tasks are refused: the loop is closed, or closing and the caller is outside it. */
    boolean refusesTasks();

    /** The thread running the loop's turn now, or null. */
    Thread loopThread();

    /** Debug mode: fails if called from outside the loop while it runs. */
    void checkConfined(String method);

    /** Schedules {@code cb} from any thread; never throws (a closed loop drops it, logged). */
    void post(Callback cb);

    Handle callSoon(Runnable callback);

    TimerHandle callAt(long deadlineNanos, Runnable callback);

    void callExceptionHandler(ExceptionContext context);

    /** The tasks of this loop not finished yet, and their unretrieved failures. Loop turn. */
    LoopTasks tasks();

    /** Schedules one step of {@code task} (a continuation, or a baton hand-off); any thread, never throws. */
    void scheduleStep(LoopTasks.Entry task, Runnable step);

    /**
     * PORTABLE, on the thread of the task whose step just ended (it suspended, or its body
     * ended: then {@code self} is null): this thread takes the loop's turn and runs the loop's
     * callbacks, and its next iterations, until a callback is another task's step, to whose
     * thread it hands the turn; when the turn ends (the loop stops, its run condition no
     * longer holds, or the thread running the loop was interrupted) it hands the turn back to
     * that thread. Returns true if the next step is {@code self}'s own: the task goes on at once.
     */
    boolean passTurn(LoopTasks.Entry self);

    /** The task whose step runs now, or null. */
    LoopTasks.Entry runningEntry();

    /** The ContextVar values of the callback running now on the loop thread. */
    Context callbackContext();

    void callbackContext(Context context);

    /** The callback running now (the owner of the ContextVar tokens it makes), or this loop between callbacks. */
    Object callbackOwner();

    /** Where blocking work runs when given no executor. */
    Executor defaultExecutor();

    /** Permits of the default limit on concurrent blocking work (the builder's {@code defaultThreadLimit}). */
    int defaultThreadLimit();

    /** This loop's value of {@code key}, created on first use. */
    <T> T local(LoopLocal<T> key);

    /**
     * Runs the loop until {@link EventLoop#stop()}, as {@link EventLoop#runForever()}; an
     * interrupt of the running thread calls {@code onInterrupt} (once per interrupt) instead of
     * stopping the loop. Returns whether an interrupt arrived.
     */
    boolean runForever(Runnable onInterrupt);

    /**
     * Runs the loop, as {@link #runForever(Runnable)} does, until it has no unfinished task or
     * {@code graceNanos} have passed; returns whether none is left. For a graceful stop before
     * {@link EventLoop#close()} cancels what remains.
     */
    boolean runUntilTasksFinish(long graceNanos);
}
