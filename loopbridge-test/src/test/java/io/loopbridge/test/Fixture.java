package io.loopbridge.test;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class that a kit test runs inside {@code EngineTestKit} to see it fail; skipped when
 * selected by itself (say, by a {@code -Dtest} pattern).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(Fixture.OnlyInsideAKitTest.class)
@interface Fixture {
    /** Set by the kit tests' own engine runs. */
    String PARAMETER = "loopbridge.test.fixture";

    final class OnlyInsideAKitTest implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getConfigurationParameter(PARAMETER).isPresent()
                    ? ConditionEvaluationResult.enabled("run by a kit test")
                    : ConditionEvaluationResult.disabled("a fixture that a kit test runs to see it fail");
        }
    }
}
