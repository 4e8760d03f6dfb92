package io.loopbridge;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/** Helpers shared by the tests. */
public final class TestLoops {
    private TestLoops() {
    }

    /** The task mode the surefire execution expects (set per execution in the pom). */
    public static TaskMode expectedMode() {
        String m = System.getProperty("loopbridge.expectedTaskMode");
        return m == null ? TaskMode.best() : TaskMode.valueOf(m);
    }

    /** A loop running runForever in its own platform thread; stop and close it with {@link Background#close()}. */
    public static final class Background implements AutoCloseable {
        public final EventLoop loop;
        final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        public Background(EventLoop loop) throws InterruptedException {
            this.loop = loop;
            CountDownLatch started = new CountDownLatch(1);
            loop.callSoonThreadsafe(started::countDown);
            thread = Thread.ofPlatform().name("bg-" + loop.name()).start(() -> {
                try {
                    loop.runForever();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            started.await();
        }

        @Override
        public void close() throws Exception {
            loop.callSoonThreadsafe(loop::stop);
            thread.join();
            loop.close();
            if (failure.get() != null) {
                throw new AssertionError("loop thread failed", failure.get());
            }
        }
    }
}
