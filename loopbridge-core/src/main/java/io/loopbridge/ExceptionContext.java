package io.loopbridge;

/**
 * What went wrong, as given to a loop's {@link LoopExceptionHandler} (asyncio's context dict).
 *
 * @param message   what the loop was doing
 * @param exception the exception, or null
 * @param source    the callback, future or task concerned, or null
 */
public record ExceptionContext(String message, Throwable exception, Object source) {
}
