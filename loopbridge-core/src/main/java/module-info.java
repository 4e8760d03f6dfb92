/**
 * loopbridge: asyncio's event loop, tasks and sync/async bridges for Java 21+.
 * Only {@code io.loopbridge} is API; {@code io.loopbridge.internal} may change at any time.
 */
@SuppressWarnings("module") // the kit's module, which reads the internal hooks, is built after this one
module io.loopbridge {
    requires org.slf4j;
    requires jdk.jfr;
    exports io.loopbridge;
    exports io.loopbridge.streams;
    // The test kit's leak checks read which loops are open and their unfinished tasks.
    exports io.loopbridge.internal to io.loopbridge.test;
    uses io.loopbridge.NonBlockingThreadDetector;
}
