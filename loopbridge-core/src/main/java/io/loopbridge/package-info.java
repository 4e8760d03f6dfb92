/**
 * loopbridge: asyncio's event loop, tasks and the bridges between synchronous and
 * asynchronous code, for Java 21+.
 *
 * <h2>The API, by layer</h2>
 * <ul>
 *   <li><b>The loop</b>: {@link io.loopbridge.EventLoop} (callbacks, timers, I/O readiness,
 *       run/stop/close), {@link io.loopbridge.Handle}, {@link io.loopbridge.TimerHandle},
 *       {@link io.loopbridge.LoopClock} and {@link io.loopbridge.VirtualClock} (virtual time for
 *       tests), {@link io.loopbridge.TaskMode}, {@link io.loopbridge.LoopStats},
 *       {@link io.loopbridge.LoopExceptionHandler}.</li>
 *   <li><b>Futures and tasks</b>: {@link io.loopbridge.LoopFuture}, {@link io.loopbridge.Task}
 *       (plain Java code on a virtual thread the loop schedules), {@link io.loopbridge.TaskGroup},
 *       {@link io.loopbridge.Timeout}, {@link io.loopbridge.ContextVar},
 *       {@link io.loopbridge.CancelledException}, and the static entry points of
 *       {@link io.loopbridge.Async} ({@code await}, {@code sleep}, {@code gather}, {@code wait},
 *       {@code waitFor}, {@code shield}, {@code timeout}, {@code run}).</li>
 *   <li><b>Primitives of one loop</b> (asyncio's locks and queues):
 *       {@link io.loopbridge.AsyncLock}, {@link io.loopbridge.AsyncEvent},
 *       {@link io.loopbridge.AsyncSemaphore}, {@link io.loopbridge.AsyncCondition},
 *       {@link io.loopbridge.AsyncQueue}; streams of values both ways with
 *       {@link java.util.concurrent.Flow}: {@link io.loopbridge.AsyncIterator},
 *       {@link io.loopbridge.AsyncGenerator}.</li>
 *   <li><b>Bridges</b> between the loop and other threads: {@link io.loopbridge.Threads}
 *       ({@code toThread}, {@code runCoroutineThreadsafe}), {@link io.loopbridge.CapacityLimiter},
 *       {@link io.loopbridge.EventThread} (a loop in its own thread), {@link io.loopbridge.Runner},
 *       {@link io.loopbridge.Bridge} ({@code runSync}), {@link io.loopbridge.SyncFacade} and
 *       {@link io.loopbridge.AsyncFacade} (one API, both faces), {@link io.loopbridge.BridgeQueue}
 *       (threads and tasks on both ends).</li>
 *   <li><b>Streams</b> over the loop's selector: package {@link io.loopbridge.streams}.</li>
 * </ul>
 *
 * <h2>The one rule</h2>
 * Every wait of the library — {@code Async.await}, {@code Async.sleep}, {@code EventThread.call},
 * {@code Bridge.runSync}, a {@code SyncFacade} method, {@code get()}/{@code join()} on the futures
 * it returns, {@code BridgeQueue.take}, {@code CapacityLimiter.acquire}, iterating a publisher —
 * never deadlocks and never silently stalls a loop:
 * <ul>
 *   <li>inside a task it suspends the task, and the loop runs other work;</li>
 *   <li>on a plain thread it blocks that thread;</li>
 *   <li>on a loop's own thread outside any task, or on a Netty, Vert.x or Reactor event-loop
 *       thread (or one a {@link io.loopbridge.NonBlockingThreadDetector} names), it throws
 *       {@link io.loopbridge.BlockingOnLoopException} at once, saying what to do instead.</li>
 * </ul>
 * What the awaited work threw is what the waiter catches, unwrapped; every waiting method
 * declares {@code throws Exception}, as {@link java.util.concurrent.Callable#call()} does.
 *
 * <p>Every public type says whether it is thread-safe or confined to its loop.
 */
package io.loopbridge;
