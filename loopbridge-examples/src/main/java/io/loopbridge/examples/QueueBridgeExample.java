package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.BridgeQueue;
import io.loopbridge.BridgeQueueClosedException;
import java.util.ArrayList;
import java.util.List;

/**
 * Python's "thread-safe queue for a sync/async bridge": a synchronous producer thread and an
 * async consumer task. Python needs {@code run_in_executor(None, q.get)} per item and a
 * {@code None} sentinel; a {@link BridgeQueue} is awaited directly by the task, blocks the
 * producer thread when full (capacity 3: back-pressure), and {@code close()} is the end signal.
 */
public final class QueueBridgeExample {
    private QueueBridgeExample() {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("QueueBridgeExample"));
    }

    /** Returns what the consumer task received, in order. */
    public static List<Integer> run(Narrator n) throws Exception {
        BridgeQueue<Integer> q = new BridgeQueue<>(3);
        Thread producer = Thread.ofPlatform().name("sync-producer").unstarted(() -> {
            try {
                for (int i = 0; i < 10; i++) {
                    q.put(i); // blocks this thread while the queue is full
                    n.say("put " + i);
                }
                n.say("produced 10 items; closing the queue instead of putting a sentinel");
            } catch (Exception e) {
                n.say("producer failed: " + e);
            } finally {
                q.close();
            }
        });
        try {
            return Async.run(() -> {
                producer.start();
                List<Integer> received = new ArrayList<>();
                try {
                    while (true) {
                        Integer item = q.take(); // suspends the task, not the loop
                        n.say("took " + item);
                        received.add(item);
                    }
                } catch (BridgeQueueClosedException done) {
                    n.say("queue closed and drained; consumer got " + received);
                }
                return received;
            });
        } finally {
            q.close();
            producer.join();
        }
    }
}
