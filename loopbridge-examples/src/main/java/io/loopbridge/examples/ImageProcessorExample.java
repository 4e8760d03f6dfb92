package io.loopbridge.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Python's synchronous ImageProcessor: {@code with ImageProcessor() as worker:
 * worker.submit(...)}, in a plain program. Leaving the try-with-resources block closes the
 * queue (no {@code None} sentinel) and waits for the worker to finish what was queued.
 */
public final class ImageProcessorExample {
    private ImageProcessorExample() {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("ImageProcessorExample"));
    }

    /** Submits three images and returns the results the worker's done callback received, in order. */
    public static List<String> run(Narrator n) throws Exception {
        List<String> results = Collections.synchronizedList(new ArrayList<>());
        try (ImageProcessor worker = new ImageProcessor(n)) {
            worker.addDoneCallback(result -> {
                n.say("done callback got " + result);
                results.add(result);
            });
            for (int i = 0; i < 3; i++) {
                n.say("submit image " + i);
                worker.submit("image " + i);
            }
            n.say("leaving the block: close() closes the queue and waits for the worker");
        }
        n.say("worker closed; results: " + results);
        return List.copyOf(results);
    }
}
