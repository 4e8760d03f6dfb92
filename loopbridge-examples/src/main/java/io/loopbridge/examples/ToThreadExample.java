package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.CapacityLimiter;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import io.loopbridge.Threads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Python's {@code asyncio.to_thread} / {@code run_in_executor(None, ...)}: blocking calls
 * (a legacy "process_image", a file read) run on worker threads while the task awaits them,
 * so the loop keeps running its other tasks. A {@link CapacityLimiter} bounds how many run at
 * once (the Python version's warning about saturating the default executor).
 */
public final class ToThreadExample {
    private ToThreadExample() {
    }

    public record Outcome(List<String> processed, String fileContent, boolean loopRanDuringBlockingCall) {
    }

    /** A blocking, synchronous function (think Pillow, JDBC, a legacy SDK). */
    static String processImage(Narrator n, String image) {
        n.say("blocking process_image(" + image + ")");
        return "processed(" + image + ")";
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("ToThreadExample"));
    }

    public static Outcome run(Narrator n) throws Exception {
        Path file = Files.createTempFile("loopbridge-example", ".txt");
        try {
            Files.writeString(file, "hello from a file");
            return Async.run(() -> {
                CapacityLimiter limiter = new CapacityLimiter(2); // at most two blocking calls at once

                // asyncio.TaskGroup + to_thread: each image on a worker thread.
                List<String> processed = TaskGroup.run(tg -> {
                    List<Task<String>> tasks = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        String image = "image " + i;
                        tasks.add(tg.spawn("to-thread-" + i, () -> Threads.toThread(() -> processImage(n, image), limiter)));
                    }
                    List<String> out = new ArrayList<>();
                    for (Task<String> t : tasks) {
                        out.add(Async.await(t));
                    }
                    return out;
                });
                n.say("processed: " + processed);

                // Python's "DON'T: use blocking I/O directly": read the file on a worker instead.
                String content = Async.toThread(() -> {
                    n.say("reading the file (blocking I/O)");
                    return Files.readString(file);
                });
                n.say("read: " + content);

                // Proof the loop is free: the blocking call waits for another task of the loop.
                CountDownLatch otherTaskRan = new CountDownLatch(1);
                Task<Void> other = Async.spawn("other-task", () -> {
                    n.say("other task runs while the blocking call waits");
                    otherTaskRan.countDown();
                    return null;
                });
                boolean ran = Threads.toThread(() -> {
                    n.say("blocking call waits for the other task");
                    return otherTaskRan.await(30, TimeUnit.SECONDS);
                });
                Async.await(other);
                n.say("the other task ran during the blocking call: " + ran);
                return new Outcome(processed, content, ran);
            });
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
