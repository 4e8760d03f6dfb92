/**
 * loopbridge's JUnit 5 kit: test methods that run as tasks on a fresh loop, virtual time, both
 * task modes from one annotation, and a check after each test that nothing was left behind.
 */
module io.loopbridge.test {
    requires transitive io.loopbridge;
    requires transitive org.junit.jupiter.api;
    exports io.loopbridge.test;
}
