package io.loopbridge.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.loopbridge.Async;
import io.loopbridge.BlockingOnLoopException;
import io.loopbridge.EventLoop;
import io.loopbridge.SyncFacade;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import io.loopbridge.examples.RedisServer;
import io.loopbridge.test.CheckThreadsPerClass;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * loopbridge with Lettuce against a real redis-server, as a user runs it.
 * Lettuce starts its I/O threads lazily, in whichever test first needs them: threads are checked after the class.
 */
@CheckThreadsPerClass
class LettuceTest {
    private static RedisServer redis;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;
    private static RedisAsyncCommands<String, String> commands;

    /** The sync face of Lettuce's async commands (its generic parameters erase to Object). */
    public interface Strings {
        String set(Object key, Object value);

        String get(Object key);
    }

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        client = RedisClient.create(redis.uri());
        connection = client.connect();
        commands = connection.async();
    }

    @AfterAll
    static void stop() {
        connection.close();
        client.shutdown();
        redis.close();
    }

    @Test
    void tenThousandTasksOnOneLoopSetThenGetAndReadBackEveryValue() throws Exception {
        int n = 10_000;
        List<String> wrong = Async.run(() -> {
            List<Task<String>> tasks = new ArrayList<>(n);
            try (TaskGroup tg = TaskGroup.open()) {
                for (int i = 0; i < n; i++) {
                    String key = "ten-thousand:" + i;
                    String value = "value-" + i;
                    tasks.add(tg.spawn(() -> {
                        String reply = Async.await(commands.set(key, value));
                        String read = Async.await(commands.get(key));
                        return "OK".equals(reply) && value.equals(read) ? null : key + " -> " + reply + ", " + read;
                    }));
                }
            }
            List<String> bad = new ArrayList<>();
            for (Task<String> t : tasks) {
                if (t.result() != null) {
                    bad.add(t.result());
                }
            }
            return bad;
        });
        assertThat(wrong).isEmpty();
        // And what the server holds, read back afresh from a plain thread: every key, its own value.
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = "ten-thousand:" + i;
        }
        var values = Async.await(commands.mget(keys));
        assertThat(values).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(values.get(i).getValue()).as(keys[i]).isEqualTo("value-" + i);
        }
    }

    /**
     * Awaiting a command of a connection on that connection's own I/O thread would wait for a
     * reply only that thread can read: refused while the reply is still outstanding, and the
     * connection goes on serving.
     */
    @Test
    void awaitingLettuceOnItsOwnIoThreadIsRefusedBeforeTheReplyCouldArrive() throws Exception {
        StatefulRedisConnection<String, String> waiting = client.connect();
        try {
            commands.set("own-thread", "value").get();
            CompletableFuture<Object[]> seen = new CompletableFuture<>();
            waiting.async().blpop(0, "own-thread-wake").thenAccept(kv -> {
                RedisFuture<String> get = waiting.async().get("own-thread"); // replied to on this very thread
                try {
                    seen.complete(new Object[]{Thread.currentThread().getName(), Async.await(get), get.isDone()});
                } catch (Throwable e) {
                    seen.complete(new Object[]{Thread.currentThread().getName(), e, get.isDone()});
                }
            });
            commands.lpush("own-thread-wake", "now");
            Object[] r = seen.get(30, TimeUnit.SECONDS);
            assertThat((String) r[0]).startsWith("lettuce-nioEventLoop-");
            assertThat(r[1]).isInstanceOf(BlockingOnLoopException.class);
            assertThat(((Throwable) r[1]).getMessage()).startsWith("Async.await called on a Netty event-loop thread '" + r[0] + "'");
            assertThat(r[2]).as("the reply had not arrived when the await was refused").isEqualTo(false);
            assertThat(waiting.async().get("own-thread").get(30, TimeUnit.SECONDS)).isEqualTo("value");
        } finally {
            waiting.close();
        }
    }

    @Test
    void oneSyncFacadeServesEightPlainThreadsAtOnceAndATask() throws Exception {
        Strings strings = SyncFacade.of(Strings.class, commands);
        int threads = 8;
        int calls = 500;
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            started.add(Thread.ofPlatform().name("facade-caller-" + t).start(() -> {
                try {
                    go.await();
                    for (int i = 0; i < calls; i++) {
                        String key = "facade:" + id + ":" + i;
                        String value = id + "/" + i;
                        String reply = strings.set(key, value);
                        String read = strings.get(key);
                        if (!"OK".equals(reply) || !value.equals(read)) {
                            wrong.add(key + " -> " + reply + ", " + read);
                        }
                    }
                } catch (Throwable e) {
                    wrong.add("facade-caller-" + id + " failed: " + e);
                }
            }));
        }
        go.countDown();
        for (Thread t : started) {
            t.join();
        }
        assertThat(wrong).isEmpty();
        assertThat(strings.get("facade:7:" + (calls - 1))).isEqualTo("7/" + (calls - 1));

        // The same facade in a task suspends the task, and the loop runs others meanwhile.
        String fromTask = Async.run(() -> {
            Task<String> other = Async.spawn(() -> "other ran on " + EventLoop.current().name());
            String v = strings.get("facade:0:0");
            return v + " / " + Async.await(other);
        });
        assertThat(fromTask).startsWith("0/0 / other ran on ");
    }
}
