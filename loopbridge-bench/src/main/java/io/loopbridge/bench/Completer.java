package io.loopbridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One persistent platform thread that runs the completions handed to it, in the order handed,
 * as a Netty I/O thread completes Lettuce's command futures as the replies come in. It parks
 * when it has nothing to run.
 *
 * <p>Thread-safe: {@link #execute} from any thread. {@link #close} stops the thread after what
 * was handed before it, and throws what a completion threw, so that no failure goes unseen.
 */
final class Completer implements Executor, AutoCloseable {

    private static final Runnable STOP = () -> { };
    private static final long STOP_SECONDS = 60;

    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final List<Throwable> failures = new ArrayList<>();
    private final Thread thread;

    Completer(String name) {
        thread = Thread.ofPlatform().name(name).daemon(true).start(this::work);
    }

    @Override
    public void execute(Runnable completion) {
        queue.add(completion);
    }

    private void work() {
        while (true) {
            Runnable r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                fail(e);
                return;
            }
            if (r == STOP) {
                return;
            }
            try {
                r.run();
            } catch (Throwable t) {
                // Keep completing the others: a task whose completion is lost would hang the run.
                fail(t);
            }
        }
    }

    private void fail(Throwable t) {
        // Said at once too: a task whose completion failed may never resume, and the run hang.
        System.err.println(Thread.currentThread().getName() + ": a completion failed: " + t);
        synchronized (failures) {
            failures.add(t);
        }
    }

    @Override
    public void close() throws InterruptedException {
        queue.add(STOP);
        thread.join(TimeUnit.SECONDS.toMillis(STOP_SECONDS));
        if (thread.isAlive()) {
            throw new IllegalStateException(thread.getName() + " did not stop within " + STOP_SECONDS + " s");
        }
        synchronized (failures) {
            if (!failures.isEmpty()) {
                IllegalStateException e = new IllegalStateException(
                        thread.getName() + ": " + failures.size() + " completion(s) failed", failures.get(0));
                failures.stream().skip(1).forEach(e::addSuppressed);
                throw e;
            }
        }
    }
}
