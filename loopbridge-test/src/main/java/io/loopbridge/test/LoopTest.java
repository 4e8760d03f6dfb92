package io.loopbridge.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that runs as a task on a fresh event loop (kotlinx-coroutines-test's {@code runTest},
 * pytest-asyncio's {@code @pytest.mark.asyncio}): the method stays a plain
 * {@code void ... throws Exception} and may {@code Async.await} anything.
 *
 * <pre>{@code
 * @LoopTest
 * void fetchesBoth(EventLoop loop) throws Exception {
 *     Task<String> a = loop.createTask(() -> client.get("/a"));
 *     assertEquals("b", Async.await(client.getAsync("/b")));
 *     assertEquals("a", Async.await(a));
 * }
 *
 * @LoopTest(virtualTime = true)
 * void givesUpAfterThirtySeconds(VirtualClock clock) throws Exception {   // runs in milliseconds
 *     assertThrows(TimeoutException.class, () -> {
 *         try (var t = Async.timeout(Duration.ofSeconds(30))) {
 *             Async.await(new CompletableFuture<>());
 *         }
 *     });
 *     assertEquals(Duration.ofSeconds(30).toNanos(), clock.nanoTime());
 * }
 * }</pre>
 *
 * <p>Each test gets its own loop, built in the best task mode the JVM supports (both modes
 * with {@link BothTaskModes}), and closed after the test. A parameter of type
 * {@code EventLoop} receives it, one of type {@code VirtualClock} its clock (with
 * {@link #virtualTime()}). The {@code @BeforeEach} and {@code @AfterEach} methods of the
 * test run as tasks on the same loop, so they may await too, and may start servers or
 * tasks the test uses.
 *
 * <p>After the test (and its {@code @AfterEach} methods) it fails if a task is still pending
 * on the loop, if a task or a future failed and nobody retrieved the exception (as the loop reports it), and for
 * everything {@link LeakCheck} checks: a thread it started still runs, a loop it opened is
 * still open, an exception reached a default handler.
 *
 * <p>A test that runs longer than its {@link #timeout()} fails with where each pending task
 * is suspended, and is cancelled, so it never hangs the build as long as its tasks reach a
 * suspension point (a task spinning on the CPU cannot be stopped by anyone).
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(LoopTestExtension.class)
public @interface LoopTest {

    /**
     * Runs the loop on an auto-advancing {@code VirtualClock}: whenever every task is waiting,
     * the clock jumps to the next timer, so a test of a 30-second timeout takes milliseconds.
     * Time only passes that way: a task waiting for another thread (a {@code toThread} worker,
     * a socket) while a timer is due sees the timer fire first.
     */
    boolean virtualTime() default false;

    /**
     * The longest the test (and each of its {@code @BeforeEach}/{@code @AfterEach} methods) may
     * run, in real time, written as JUnit writes timeouts ({@code "10 s"}, {@code "500 ms"}).
     * Empty: the configuration parameter {@code loopbridge.test.timeout.default}, else 60 s.
     * Real time even with {@link #virtualTime()}: a virtual deadline would be reached at once
     * whenever the test waits for something outside the loop.
     */
    String timeout() default "";
}
