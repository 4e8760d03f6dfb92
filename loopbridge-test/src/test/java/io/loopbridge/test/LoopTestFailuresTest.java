package io.loopbridge.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.TaskMode;
import io.loopbridge.VirtualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The kit tested by running test classes that should fail (the nested fixtures, which surefire
 * does not run by themselves) and reading what they fail with.
 */
class LoopTestFailuresTest {

    /** Runs {@code fixture} as JUnit would, with a short grace so that leaks are reported quickly. */
    private static Events run(Class<?> fixture) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture))
                .configurationParameter("loopbridge.leakcheck.grace", "200 ms")
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .configurationParameter(Fixture.PARAMETER, "true")
                .execute().testEvents();
    }

    /** The one failure of {@code fixture}'s one test. */
    private static Throwable failureOf(Class<?> fixture) {
        Events events = run(fixture);
        assertThat(events.failed().count()).as("failed tests of " + fixture.getSimpleName()).isEqualTo(1);
        assertThat(events.succeeded().count()).isZero();
        Event failed = events.failed().list().get(0);
        return failed.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow();
    }

    // ---------------------------------------------------------------- a task left pending

    @Fixture
    static class PendingTaskLeft {
        @LoopTest
        void leavesATaskBehind(EventLoop loop) throws Exception {
            loop.createTask("forgotten", () -> waitForever());
            Async.checkpoint(); // it starts, and suspends
        }

        static Object waitForever() throws Exception {
            return Async.await(new CompletableFuture<>());
        }
    }

    @Test
    void aTaskLeftPendingFailsTheTestSayingWhereItWaits() {
        Throwable e = failureOf(PendingTaskLeft.class);
        assertThat(e).isInstanceOf(AssertionError.class);
        assertThat(e.getMessage()).contains("leavesATaskBehind").contains("1 task(s) still pending on the test's loop")
                .contains("task 'forgotten' suspended at").contains("PendingTaskLeft.waitForever(LoopTestFailuresTest.java:");
    }

    // ---------------------------------------------------------------- an exception nobody retrieved

    @Fixture
    static class FailureNotRetrieved {
        @LoopTest
        void startsATaskThatFails(EventLoop loop) throws Exception {
            loop.createTask("failing", () -> {
                throw new IllegalStateException("nobody reads this");
            });
            Async.checkpoint();
            Async.checkpoint();
        }
    }

    @Test
    void anExceptionNobodyRetrievedFailsTheTest() {
        Throwable e = failureOf(FailureNotRetrieved.class);
        assertThat(e.getMessage()).contains("exception was never retrieved").contains("nobody reads this");
        assertThat(e.getSuppressed()).anySatisfy(s -> assertThat(s).hasMessage("nobody reads this"));
    }

    @Fixture
    static class ExceptionsReachDefaultHandlers {
        @Test
        void aCallbackThrowsAndAThreadDies() throws Exception {
            try (EventLoop loop = EventLoop.create()) {
                loop.callSoon(() -> {
                    throw new IllegalArgumentException("boom in a callback");
                });
                loop.callSoon(loop::stop);
                loop.runForever();
            }
            Thread t = Thread.ofPlatform().name("dying").start(() -> {
                throw new IllegalStateException("boom in a thread");
            });
            t.join();
        }
    }

    @Test
    void exceptionsThatReachADefaultHandlerFailAPlainTest() {
        Throwable e = failureOf(ExceptionsReachDefaultHandlers.class);
        assertThat(e.getMessage()).contains("2 exception(s) reached a default handler").contains("boom in a callback")
                .contains("uncaught in thread 'dying'").contains("boom in a thread");
    }

    // ---------------------------------------------------------------- a loop left open, a thread left running

    static final List<EventLoop> LEFT_OPEN = new CopyOnWriteArrayList<>();

    @Fixture
    static class LoopLeftOpen {
        @Test
        void opensALoopAndForgetsIt() {
            LEFT_OPEN.add(EventLoop.builder().name("forgotten-loop").build());
        }
    }

    @Test
    void aLoopLeftOpenFailsTheTest() {
        try {
            Throwable e = failureOf(LoopLeftOpen.class);
            assertThat(e.getMessage()).contains("1 event loop(s) it opened still open").contains("forgotten-loop");
        } finally {
            LEFT_OPEN.forEach(EventLoop::close);
        }
    }

    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static final List<Thread> LEAKED = new CopyOnWriteArrayList<>();

    @Fixture
    static class ThreadLeft {
        @LoopTest
        void startsAThreadThatOutlivesIt() {
            LEAKED.add(Thread.ofPlatform().name("leaky-thread").start(ThreadLeft::waitForRelease));
        }

        static void waitForRelease() {
            try {
                RELEASE.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aThreadLeftRunningFailsTheTestSayingWhereItIs() throws InterruptedException {
        try {
            Throwable e = failureOf(ThreadLeft.class);
            assertThat(e.getMessage()).contains("1 thread(s) it started still running").contains("'leaky-thread' WAITING")
                    .contains("ThreadLeft.waitForRelease");
        } finally {
            RELEASE.countDown();
            for (Thread t : LEAKED) {
                t.join();
            }
        }
    }

    static final CountDownLatch RELEASE_SHARED = new CountDownLatch(1);
    static final List<Thread> SHARED = new CopyOnWriteArrayList<>();

    @Fixture
    @CheckThreadsPerClass
    static class SharedThreadNeverStopped {
        @Test
        void startsAThreadTheNextTestUses() {
            SHARED.add(Thread.ofPlatform().name("shared-worker").start(() -> {
                try {
                    RELEASE_SHARED.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }

        @Test
        void usesIt() {
            assertThat(SHARED).isNotEmpty();
        }
    }

    @Test
    void withThreadsCheckedPerClassTheTestsPassAndTheClassFails() throws InterruptedException {
        try {
            EngineExecutionResults all = EngineTestKit.engine("junit-jupiter").selectors(selectClass(SharedThreadNeverStopped.class))
                    .configurationParameter("loopbridge.leakcheck.grace", "200 ms")
                    .configurationParameter(Fixture.PARAMETER, "true")
                    .configurationParameter("junit.jupiter.testmethod.order.default", "org.junit.jupiter.api.MethodOrderer$MethodName")
                    .execute();
            assertThat(all.testEvents().succeeded().count()).isEqualTo(2);
            Throwable e = all.containerEvents().failed().list().get(0).getPayload(TestExecutionResult.class)
                    .flatMap(TestExecutionResult::getThrowable).orElseThrow();
            assertThat(e.getMessage()).startsWith("test class ").contains("SharedThreadNeverStopped left something behind")
                    .contains("'shared-worker'");
        } finally {
            RELEASE_SHARED.countDown();
            for (Thread t : SHARED) {
                t.join();
            }
        }
    }

    static final List<java.net.ServerSocket> SOCKETS = new CopyOnWriteArrayList<>();

    @Fixture
    static class SocketLeftOpen {
        @Test
        @CheckOpenSockets
        void listensAndForgets() throws Exception {
            SOCKETS.add(new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
        }
    }

    @Test
    void withCheckOpenSocketsASocketLeftOpenFailsTheTest() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OpenSockets.count() >= 0, "needs /proc (Linux) to count sockets");
        try {
            Throwable e = failureOf(SocketLeftOpen.class);
            assertThat(e.getMessage()).contains("1 TCP socket(s) it opened still open");
        } finally {
            for (java.net.ServerSocket s : SOCKETS) {
                s.close();
            }
        }
    }

    // ---------------------------------------------------------------- timeouts

    @Fixture
    static class TimesOut {
        @LoopTest(timeout = "300 ms")
        void waitsForever(EventLoop loop) throws Exception {
            loop.createTask("helper", () -> helperWaits());
            testWaits();
        }

        static Object testWaits() throws Exception {
            return Async.await(new CompletableFuture<>());
        }

        static Object helperWaits() throws Exception {
            return Async.await(new CompletableFuture<>());
        }
    }

    @Test
    void aTimeoutFailsWithWhereEveryPendingTaskIsSuspended() {
        Throwable e = failureOf(TimesOut.class);
        assertThat(e).isInstanceOf(TimeoutException.class);
        assertThat(e.getMessage()).contains("waitsForever() timed out after 300 ms (real time)").contains("2 task(s) were pending")
                .contains("task 'waitsForever' suspended at").contains("TimesOut.testWaits(LoopTestFailuresTest.java:")
                .contains("task 'helper' suspended at").contains("TimesOut.helperWaits(LoopTestFailuresTest.java:");
    }

    @Fixture
    static class TimesOutInABlockingCall {
        @LoopTest(timeout = "300 ms")
        void sleepsInATask() throws Exception {
            Thread.sleep(600_000); // a JDK blocking call: cancellation alone would not end it
        }
    }

    @Test
    void aTestStuckInABlockingCallTimesOutInsteadOfHanging() {
        Throwable e = failureOf(TimesOutInABlockingCall.class);
        assertThat(e).isInstanceOf(TimeoutException.class);
        assertThat(e.getMessage()).contains("sleepsInATask() timed out after 300 ms")
                .contains("TimesOutInABlockingCall.sleepsInATask(LoopTestFailuresTest.java:");
    }

    // ---------------------------------------------------------------- misuse and modes

    @Fixture
    static class ClockWithoutVirtualTime {
        @LoopTest
        void wantsAClock(VirtualClock clock) {
        }
    }

    @Test
    void aVirtualClockParameterWithoutVirtualTimeSaysWhatToWrite() {
        Throwable e = failureOf(ClockWithoutVirtualTime.class);
        assertThat(e.getMessage()).contains("@LoopTest(virtualTime = true)");
    }

    static final List<TaskMode> MODES_SEEN = new CopyOnWriteArrayList<>();
    static final List<EventLoop> LOOPS_SEEN = new CopyOnWriteArrayList<>();

    @Fixture
    @BothTaskModes
    static class InBothModes {
        @LoopTest
        void one(EventLoop loop) {
            MODES_SEEN.add(loop.taskMode());
            LOOPS_SEEN.add(loop);
        }

        @LoopTest
        void two(EventLoop loop) {
            LOOPS_SEEN.add(loop);
        }
    }

    @Test
    void bothTaskModesRunsEachTestOnceInEachModeOnAFreshLoopOrSaysWhyNot() {
        MODES_SEEN.clear();
        LOOPS_SEEN.clear();
        Events events = run(InBothModes.class);
        if (TaskMode.best() == TaskMode.FAST) {
            assertThat(events.succeeded().count()).isEqualTo(4);
            assertThat(MODES_SEEN).containsExactly(TaskMode.FAST, TaskMode.PORTABLE);
        } else {
            assertThat(events.succeeded().count()).isEqualTo(2);
            assertThat(MODES_SEEN).containsExactly(TaskMode.PORTABLE);
            assertThat(events.skipped().list()).hasSize(2).allSatisfy(s -> assertThat(s.getPayload(String.class).orElseThrow())
                    .contains("--add-opens java.base/java.lang=ALL-UNNAMED"));
        }
        assertThat(new ArrayList<>(LOOPS_SEEN)).doesNotHaveDuplicates().allSatisfy(l -> assertThat(l.isClosed()).isTrue());
    }
}
