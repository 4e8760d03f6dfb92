package io.loopbridge.examples;

import io.loopbridge.Async;
import io.loopbridge.SyncFacade;
import io.loopbridge.Task;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Python's smartasync, done thread-safely: an API written once, asynchronously
 * ({@link AsyncUsers}), and a synchronous face of it ({@link Users}) made by
 * {@link SyncFacade#of}. The same facade object is called from a plain thread (it blocks) and
 * from a task (it suspends the task; the loop runs another task meanwhile). It keeps no
 * "am I async?" cache, so one call can never change how the next behaves, and exceptions
 * come out unwrapped, as declared.
 */
public final class SyncFacadeExample {
    private SyncFacadeExample() {
    }

    /** The synchronous face: what callers see. */
    public interface Users {
        String find(long id) throws IOException;
    }

    /** The async client, written once: its I/O completes on its own thread. */
    public static final class AsyncUsers implements AutoCloseable {
        private final Narrator n;
        private final ExecutorService io = Executors.newSingleThreadExecutor(r -> new Thread(r, "users-io"));

        public AsyncUsers(Narrator n) {
            this.n = n;
        }

        public CompletableFuture<String> find(long id) {
            return CompletableFuture.supplyAsync(() -> {
                n.say("async client looks up user " + id);
                if (id < 0) {
                    throw new java.util.concurrent.CompletionException(new IOException("no user " + id));
                }
                return "user-" + id;
            }, io);
        }

        @Override
        public void close() {
            io.close();
        }
    }

    public record Outcome(String fromPlainThread, String fromTask, String otherTaskDuringCall, String failure) {
    }

    public static void main(String[] args) throws Exception {
        run(new Narrator("SyncFacadeExample"));
    }

    public static Outcome run(Narrator n) throws Exception {
        try (AsyncUsers client = new AsyncUsers(n)) {
            Users users = SyncFacade.of(Users.class, client);

            String plain = users.find(1);
            n.say("plain thread got " + plain);

            String[] fromTask = new String[2];
            Async.run(() -> {
                Task<String> other = Async.spawn("other-task", () -> {
                    n.say("other task runs while the facade call is suspended");
                    return "other task ran";
                });
                fromTask[0] = users.find(2); // suspends this task only
                n.say("task got " + fromTask[0]);
                fromTask[1] = Async.await(other);
                return null;
            });

            String failure;
            try {
                users.find(-1);
                failure = "no exception?!";
            } catch (IOException e) { // the declared exception, not a wrapper
                failure = "IOException: " + e.getMessage();
                n.say("caught " + failure);
            }
            return new Outcome(plain, fromTask[0], fromTask[1], failure);
        }
    }
}
