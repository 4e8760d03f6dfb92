package io.loopbridge.test;

import io.loopbridge.TaskMode;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Provides the runs of a {@link LoopTest}: one per task mode, each with its own loop. Used
 * through {@link LoopTest}; not registered by hand.
 *
 * <p>This class is thread-safe (it keeps no state).
 */
public final class LoopTestExtension implements TestTemplateInvocationContextProvider {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(m -> AnnotationSupport.isAnnotated(m, LoopTest.class)).orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        LoopTest settings = AnnotationSupport.findAnnotation(method, LoopTest.class).orElseThrow();
        Duration timeout = settings.timeout().isBlank()
                ? context.getConfigurationParameter("loopbridge.test.timeout.default")
                        .map(s -> Durations.parse("loopbridge.test.timeout.default", s)).orElse(DEFAULT_TIMEOUT)
                : Durations.parse("@LoopTest(timeout) of " + method.getName(), settings.timeout());
        boolean both = AnnotationSupport.isAnnotated(method, BothTaskModes.class) || bothModes(context.getTestClass());
        List<TaskMode> modes = both ? List.of(TaskMode.FAST, TaskMode.PORTABLE) : List.of(TaskMode.best());
        return modes.stream().map(mode -> invocation(new LoopInvocation(mode, settings.virtualTime(), timeout)));
    }

    private static boolean bothModes(Optional<Class<?>> testClass) {
        for (Optional<Class<?>> c = testClass; c.isPresent(); c = Optional.ofNullable(c.get().getEnclosingClass())) {
            if (AnnotationSupport.isAnnotated(c.get(), BothTaskModes.class)) {
                return true;
            }
        }
        return false;
    }

    private static TestTemplateInvocationContext invocation(LoopInvocation run) {
        return new TestTemplateInvocationContext() {
            @Override
            public String getDisplayName(int invocationIndex) {
                return run.description();
            }

            @Override
            public List<Extension> getAdditionalExtensions() {
                return List.of(run);
            }
        };
    }
}
