package io.loopbridge.test;

import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import io.loopbridge.VirtualClock;
import io.loopbridge.internal.InspectableLoop;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * One run of a {@link LoopTest}: builds its loop before the test, runs the test method (and
 * its {@code @BeforeEach}/{@code @AfterEach} methods) as tasks on it, and afterwards checks
 * what the test left on the loop, closes it, and hands over to {@link LeakCheck}.
 * Confined to the thread JUnit runs the test on.
 */
final class LoopInvocation implements ExecutionCondition, BeforeEachCallback, ParameterResolver, InvocationInterceptor,
        AfterEachCallback {
    private final TaskMode mode;
    private final boolean virtualTime;
    private final Duration timeout;
    /** What reached the test loop's exception handler: failures nobody retrieved, throwing callbacks. */
    private final List<ExceptionContext> unhandled = new CopyOnWriteArrayList<>();
    private EventLoop loop;
    private VirtualClock clock;
    private boolean timedOut;

    LoopInvocation(TaskMode mode, boolean virtualTime, Duration timeout) {
        this.mode = mode;
        this.virtualTime = virtualTime;
        this.timeout = timeout;
    }

    String description() {
        return "on a " + mode + " loop" + (virtualTime ? ", virtual time" : "");
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (mode == TaskMode.FAST && TaskMode.best() != TaskMode.FAST) {
            return ConditionEvaluationResult.disabled("TaskMode.FAST is not available: this JVM was started without "
                    + "--add-opens java.base/java.lang=ALL-UNNAMED (the PORTABLE run still runs)");
        }
        return ConditionEvaluationResult.enabled(mode + " is available");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        LeakCheck.beginTest(context);
        EventLoop.Builder b = EventLoop.builder().name("test-" + context.getRequiredTestMethod().getName()).taskMode(mode);
        if (virtualTime) {
            clock = VirtualClock.autoAdvancing();
            b.clock(clock);
        }
        loop = b.build();
        loop.setExceptionHandler((l, c) -> unhandled.add(c));
    }

    // ---------------------------------------------------------------- parameters

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        return type == EventLoop.class || type == VirtualClock.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext context) {
        if (p.getParameter().getType() == EventLoop.class) {
            return loop;
        }
        if (clock == null) {
            throw new ParameterResolutionException("a VirtualClock parameter needs virtual time: "
                    + "write @LoopTest(virtualTime = true) on " + context.getRequiredTestMethod().getName());
        }
        return clock;
    }

    // ---------------------------------------------------------------- running as tasks

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        runAsTask(invocation, call.getExecutable().getName());
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        runAsTask(invocation, call.getExecutable().getName());
    }

    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        runAsTask(invocation, call.getExecutable().getName());
    }

    /** Runs the method as the main task of the loop until it completes, or until the timeout cancels it. */
    private void runAsTask(Invocation<Void> invocation, String name) throws Throwable {
        TimeoutWatch watch = new TimeoutWatch(timeout, loop, name);
        Task<Void> main = loop.createTask(name, () -> {
            watch.bodyStarted();
            proceed(invocation);
            return null;
        });
        watch.start(main);
        try {
            loop.runUntilComplete(main);
        } catch (Throwable e) {
            if (watch.expired()) {
                timedOut = true;
                throw watch.failure();
            }
            throw e;
        } finally {
            watch.cancel();
            Thread.interrupted(); // an interrupt that ended the run was consumed as cancellation
        }
        if (watch.expired()) {
            timedOut = true;
            throw watch.failure(); // the test swallowed the cancellation and returned: still too late
        }
    }

    private static void proceed(Invocation<Void> invocation) throws Exception {
        try {
            invocation.proceed();
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new java.lang.reflect.UndeclaredThrowableException(e);
        }
    }

    // ---------------------------------------------------------------- after the test

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        List<Throwable> causes = new ArrayList<>();
        if (loop == null) { // building it failed, and said why
            LeakCheck.endTest(context, problems, causes);
            return;
        }
        if (!timedOut) { // a timeout already reported the pending tasks
            List<?> pending = ((InspectableLoop) loop).unfinishedTasks();
            if (!pending.isEmpty()) {
                problems.add(pending.size() + " task(s) still pending on the test's loop '" + loop.name()
                        + "' (await or cancel every task the test starts; a TaskGroup does both):"
                        + PendingTasks.describe(pending));
            }
        }
        loop.close(); // cancels what is left; reports failures nobody retrieved to the handler
        for (ExceptionContext c : unhandled) {
            problems.add("on the test's loop '" + loop.name() + "': " + c.message() + ": " + c.exception());
            if (c.exception() != null) {
                causes.add(c.exception());
            }
        }
        LeakCheck.endTest(context, problems, causes);
    }
}
