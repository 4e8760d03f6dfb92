package io.loopbridge.examples;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.loopbridge.Async;
import io.loopbridge.BlockingOnLoopException;
import io.loopbridge.SyncFacade;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * loopbridge next to a real client: Lettuce talking to a real {@code redis-server}.
 * <ol>
 *   <li>Async from tasks: many tasks on one loop each {@code SET} then {@code GET} with
 *       {@code Async.await} on Lettuce's futures — plain sequential code, no callbacks.</li>
 *   <li>A {@link SyncFacade} over Lettuce's own async API, called from a plain thread.</li>
 *   <li>The one rule on Lettuce's own thread: its callbacks run on a Netty event loop, where
 *       a blocking call would stall every connection that loop serves (until Lettuce's command
 *       timeout, 60 s by default). loopbridge recognises the thread by itself and refuses at
 *       once; composing with the future is the way, and is shown too.</li>
 * </ol>
 * {@code main} starts a throwaway redis-server (the binary must be installed).
 */
public final class LettuceRedisExample {
    private LettuceRedisExample() {
    }

    /**
     * The sync face of Lettuce's async string commands. Lettuce's methods are generic
     * ({@code RedisFuture<V> get(K key)}); erased, they take {@code Object}, so the face does too.
     */
    public interface Strings {
        String set(Object key, Object value);

        String get(Object key);
    }

    public record Outcome(int tasks, int tasksChecked, String facadeSet, String facadeGet, String facadeMissing,
                          String lettuceThread, String refusal, String composedOnLettuceThread,
                          String servedAfterRefusal) {
    }

    public static void main(String[] args) throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            Outcome o = run(new Narrator("LettuceRedisExample"), redis.uri(), 1_000);
            System.out.println("LettuceRedisExample: " + o.tasksChecked() + " of " + o.tasks() + " values checked");
        }
    }

    public static Outcome run(Narrator n, String redisUri, int tasks) throws Exception {
        RedisClient client = RedisClient.create(redisUri);
        try (StatefulRedisConnection<String, String> connection = client.connect();
             StatefulRedisConnection<String, String> blocking = client.connect()) {
            RedisAsyncCommands<String, String> redis = connection.async();

            // 1. Async from tasks: one loop, every task awaits Lettuce's futures in turn.
            int checked = Async.run(() -> {
                n.say("main task spawns " + tasks + " tasks, each SET then GET");
                List<Task<Boolean>> all = new ArrayList<>(tasks);
                try (TaskGroup tg = TaskGroup.open()) {
                    for (int i = 0; i < tasks; i++) {
                        String key = "example:" + i;
                        String value = "value-" + i;
                        all.add(tg.spawn(() -> {
                            Async.await(redis.set(key, value));
                            return value.equals(Async.await(redis.get(key)));
                        }));
                    }
                }
                int ok = 0;
                for (Task<Boolean> t : all) {
                    ok += t.result() ? 1 : 0;
                }
                n.say(ok + " of " + tasks + " tasks read back what they wrote");
                return ok;
            });

            // 2. The same async API, called synchronously from this plain thread.
            Strings strings = SyncFacade.of(Strings.class, redis);
            String set = strings.set("example:facade", "from a plain thread");
            String got = strings.get("example:facade");
            String missing = strings.get("example:missing");
            n.say("SyncFacade over Lettuce: SET -> " + set + ", GET -> " + got + ", GET of a missing key -> " + missing);

            // 3. On Lettuce's own thread. BLPOP's reply is held back until something is pushed, so its
            //    callback surely runs on Lettuce's event loop when the reply arrives.
            CompletableFuture<String[]> refused = new CompletableFuture<>();
            blocking.async().blpop(0, "example:wake").thenAccept(kv -> {
                n.say("BLPOP callback runs on Lettuce's event loop");
                String thread = Thread.currentThread().getName();
                try {
                    strings.get("example:facade"); // don't: this would block the thread that must read the reply
                    refused.complete(new String[]{thread, "not refused?!"});
                } catch (BlockingOnLoopException e) {
                    n.say("refused at once: " + e.getMessage());
                    refused.complete(new String[]{thread, e.getMessage()});
                }
            });
            redis.lpush("example:wake", "now");
            String[] refusal = refused.get();

            // What to do instead: compose with the future; the callback returns at once.
            redis.lpush("example:wake", "again");
            String composed = blocking.async().blpop(0, "example:wake")
                    .thenCompose(kv -> redis.get("example:facade"))
                    .toCompletableFuture().get();
            n.say("composed on Lettuce's thread instead: " + composed);

            String after = strings.get("example:facade");
            n.say("Lettuce's event loop was never blocked: it serves the next call: " + after);
            return new Outcome(tasks, checked, set, got, missing, refusal[0], refusal[1], composed, after);
        } finally {
            client.shutdown();
        }
    }
}
