package io.loopbridge.tck;

import io.loopbridge.AsyncGenerator;
import io.loopbridge.EventThread;
import java.io.IOException;
import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK (publisher rules) against {@link AsyncGenerator}, with the bodies on
 * one event thread's loop. TestNG, run on the JUnit Platform by the TestNG engine.
 */
public class AsyncGeneratorTckTest extends FlowPublisherVerification<Long> {
    private EventThread et;

    public AsyncGeneratorTckTest() {
        // Generous waits for signals that must come (a busy 2-core machine); short ones for signals that must not.
        super(new TestEnvironment(5_000, 50), 5_000);
    }

    @BeforeClass
    public void startLoop() {
        et = new EventThread("tck-generator").start();
    }

    @AfterClass(alwaysRun = true)
    public void closeLoop() {
        et.close();
    }

    @Override
    public Flow.Publisher<Long> createFlowPublisher(long elements) {
        return AsyncGenerator.on(et.loop(), out -> {
            for (long i = 0; i < elements; i++) {
                out.emit(i);
            }
        });
    }

    @Override
    public Flow.Publisher<Long> createFailedFlowPublisher() {
        return AsyncGenerator.on(et.loop(), out -> {
            throw new IOException("a generator that fails at once");
        });
    }
}
