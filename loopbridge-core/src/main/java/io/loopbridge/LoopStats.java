package io.loopbridge;

/**
 * A snapshot of what a loop holds, from {@link EventLoop#stats()}: for dashboards and tests.
 *
 * @param readyCallbacks callbacks (and task steps) ready to run in the next iteration
 * @param tasks          tasks created and not finished
 * @param timers         scheduled timers, cancelled ones not yet purged included
 * @param channels       channels registered for readiness
 */
public record LoopStats(int readyCallbacks, int tasks, int timers, int channels) {
}
