package io.loopbridge.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The tests of this class share threads that the class starts and stops itself, some of them
 * lazily, by whichever test first needs them (a framework's event loops, a scheduler's
 * workers): {@link LeakCheck} checks threads after the whole class instead of after each
 * test. Loops, unhandled exceptions and sockets are still checked after each test.
 * Registers {@link LeakCheck} on the class.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(LeakCheck.class)
public @interface CheckThreadsPerClass {
}
