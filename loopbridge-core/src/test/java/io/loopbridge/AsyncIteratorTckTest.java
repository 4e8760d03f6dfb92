package io.loopbridge;

import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowSubscriberBlackboxVerification;

/**
 * The Reactive Streams TCK (subscriber rules, black box) against the subscriber behind
 * {@link AsyncIterator}: each subscriber under test is drained by a consumer on a virtual thread
 * of its own, which takes (and so requests) as a user's loop would. TestNG, run on the JUnit
 * Platform by the TestNG engine.
 */
public class AsyncIteratorTckTest extends FlowSubscriberBlackboxVerification<Integer> {

    public AsyncIteratorTckTest() {
        super(new TestEnvironment(2_000, 50));
    }

    @Override
    public Flow.Subscriber<Integer> createFlowSubscriber() {
        Flow.Publisher<Integer> underTest = s -> {
            throw new AssertionError("the TCK subscribes the subscriber itself");
        };
        PublisherIterator<Integer> it = new PublisherIterator<>(underTest, 4);
        Thread.ofVirtual().name("tck-consumer").start(() -> {
            try (it) {
                while (it.hasNext()) {
                    it.next();
                }
            } catch (Exception expectedWhenTheTckFailsTheStream) {
                // the stream's error ends this consumer; the TCK checks the subscriber's signals
            }
        });
        return it;
    }

    @Override
    public Integer createElement(int element) {
        return element;
    }
}
