package io.loopbridge;

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
        // 2 s for a signal that must come (a busy 2-core machine; three rule-3.9 tests always wait it out
        // in the TCK's final check for late errors), 50 ms for one that must not, 1 s for the GC of a
        // cancelled subscriber (rule 3.13).
        super(new TestEnvironment(2_000, 50), 1_000);
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
