/**
 * loopbridge: asyncio's event loop, tasks and sync/async bridges for Java 21+.
 * Only {@code io.loopbridge} is API; {@code io.loopbridge.internal} may change at any time.
 */
module io.loopbridge {
    requires org.slf4j;
    requires jdk.jfr;
    exports io.loopbridge;
    exports io.loopbridge.streams;
    uses io.loopbridge.NonBlockingThreadDetector;
}
