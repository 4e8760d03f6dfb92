package io.loopbridge;

/**
 * Receives the exceptions that nobody else can: a callback that threw, a failed task whose
 * exception was never retrieved. Called on the loop thread (or the thread closing the loop);
 * an exception thrown by the handler itself is logged and swallowed so the loop keeps running.
 */
@FunctionalInterface
public interface LoopExceptionHandler {
    void handle(EventLoop loop, ExceptionContext context);
}
