package io.loopbridge;

import java.util.ArrayDeque;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of BridgeQueue's thread face against a sequential bounded queue: the
 * non-waiting calls and close. (Waiting calls cannot be expressed in Lincheck's sequential
 * specification for plain threads; BridgeQueueStressTest and BridgeQueueTest cover them.)
 */
@Param(name = "v", gen = IntGen.class, conf = "1:5")
@org.junit.jupiter.api.Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES) // slow on a loaded machine
public class BridgeQueueLincheckTest {
    private final BridgeQueue<Integer> q = new BridgeQueue<>(2);

    @Operation
    public boolean offer(@Param(name = "v") int v) {
        return q.offer(v);
    }

    @Operation
    public Integer poll() {
        return q.poll();
    }

    @Operation
    public int size() {
        return q.size();
    }

    @Operation
    public void close() {
        q.close();
    }

    @Operation
    public boolean isDrained() {
        return q.isDrained();
    }

    @BeforeEach
    void onceIsEnough() {
        // The thread face involves no loop, so the task mode cannot change the result: save the second run.
        org.junit.jupiter.api.Assumptions.assumeTrue(TestLoops.expectedMode() == TaskMode.FAST,
                "mode-independent: checked in the FAST run");
    }

    @Test
    void modelChecking() {
        LinChecker.check(BridgeQueueLincheckTest.class, new ModelCheckingOptions()
                .iterations(10).invocationsPerIteration(300).threads(3).actorsPerThread(3)
                .sequentialSpecification(Sequential.class));
    }

    @Test
    void stress() {
        LinChecker.check(BridgeQueueLincheckTest.class, new StressOptions()
                .iterations(10).invocationsPerIteration(1000).threads(3).actorsPerThread(3)
                .sequentialSpecification(Sequential.class));
    }

    /** The specification: a bounded FIFO queue with a closed flag. */
    public static final class Sequential {
        private final ArrayDeque<Integer> items = new ArrayDeque<>();
        private boolean closed;

        public boolean offer(int v) {
            if (closed) {
                throw new BridgeQueueClosedException("closed");
            }
            if (items.size() >= 2) {
                return false;
            }
            items.add(v);
            return true;
        }

        public Integer poll() {
            return items.poll();
        }

        public int size() {
            return items.size();
        }

        public void close() {
            closed = true;
        }

        public boolean isDrained() {
            return closed && items.isEmpty();
        }
    }
}
