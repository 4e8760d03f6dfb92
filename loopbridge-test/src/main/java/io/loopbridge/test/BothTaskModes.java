package io.loopbridge.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs each {@link LoopTest} of the class (or the annotated one) twice: on a
 * {@code TaskMode.FAST} loop and on a {@code TaskMode.PORTABLE} one, so one run of the suite
 * proves both modes. Where the JVM was started without the flag FAST needs
 * ({@code --add-opens java.base/java.lang=ALL-UNNAMED}), the FAST run is skipped, saying so.
 * Plain {@code @Test} methods of the class are not affected.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
public @interface BothTaskModes {
}
