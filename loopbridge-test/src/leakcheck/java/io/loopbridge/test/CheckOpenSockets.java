package io.loopbridge.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link LeakCheck} also fails the test (each test of the class) if it leaves more TCP sockets
 * of this process open than it found, after the grace period. Sockets are counted from
 * {@code /proc} (Linux); where that is missing, the socket check is skipped. Not on by
 * default: a connection pool that keeps sockets alive across tests is no leak. Registers
 * {@link LeakCheck}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(LeakCheck.class)
public @interface CheckOpenSockets {
}
