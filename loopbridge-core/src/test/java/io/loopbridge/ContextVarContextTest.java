package io.loopbridge;

import static io.loopbridge.ContextVarTest.onFreshThread;
import static io.loopbridge.ContextVarTest.virtualLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * {@link ContextVar.Context}: shared contexts that tasks, callbacks and threads run in
 * (Python's contextvars.Context, copy_context() and create_task(context=)).
 */
class ContextVarContextTest {

    private static final ContextVar<String> USER = ContextVar.of("user");
    private static final ContextVar<Integer> COUNT = ContextVar.withDefault("count", 0);

    @Test
    void aTaskCreatedInAContextWritesThereAndItsCreatorKeepsItsOwnValues() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                USER.set("main");
                ContextVar.Context ctx = ContextVar.Context.copyCurrent();
                assertThat(ctx.get(USER)).isEqualTo("main");
                Task<String> t = Async.spawn("in-ctx", () -> {
                    String seen = USER.get();
                    USER.set("task");
                    COUNT.set(7);
                    return seen;
                }, ctx);
                assertThat(Async.await(t)).isEqualTo("main");
                assertThat(ctx.get(USER)).isEqualTo("task");
                assertThat(ctx.get(COUNT)).isEqualTo(7);
                assertThat(USER.get()).isEqualTo("main");
                assertThat(COUNT.get()).isZero();
                assertThat(t.context()).isSameAs(ctx);
                return null;
            });
        }
    }

    @Test
    void tasksSharingAContextSeeEachOthersWritesAtTheirNextRead() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> log = loop.runUntilComplete(() -> {
                ContextVar.Context ctx = ContextVar.Context.empty();
                List<String> l = new ArrayList<>();
                AsyncEvent written = new AsyncEvent();
                Task<Void> reader = Async.spawn("reader", () -> {
                    l.add("before: " + USER.getOrDefault("none"));
                    written.await();
                    l.add("after: " + USER.get());
                    return null;
                }, ctx);
                Task<Void> writer = Async.spawn("writer", () -> {
                    USER.set("written");
                    written.set();
                    return null;
                }, ctx);
                Async.await(Async.gather(reader, writer));
                return l;
            });
            assertThat(log).containsExactly("before: none", "after: written");
        }
    }

    @Test
    void aTasksOwnContextBecomesShareableWhenAskedFor() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                AsyncEvent asked = new AsyncEvent();
                Task<String> t = Async.spawn(() -> {
                    ContextVar.Token<String> token = USER.set("own");
                    asked.await();
                    USER.set("later");
                    String shared = USER.get();
                    USER.reset(token); // made before its values moved into the context: still resets
                    return shared + "/" + USER.getOrDefault("unset");
                });
                Async.checkpoint();
                ContextVar.Context own = t.context();
                assertThat(t.context()).isSameAs(own);
                assertThat(own.get(USER)).isEqualTo("own");
                assertThat(Async.await(Async.spawn(null, USER::get, own))).isEqualTo("own");
                asked.set();
                assertThat(Async.await(t)).isEqualTo("later/unset");
                assertThat(own.contains(USER)).isFalse();
                return null;
            });
        }
    }

    @Test
    void callOnAPlainThreadRunsInTheContextAndRestoresTheThreadsValues() throws Exception {
        onFreshThread(() -> {
            USER.set("thread");
            ContextVar.Context ctx = ContextVar.Context.empty();
            String inside = ctx.call(() -> {
                assertThat(USER.getOrDefault("none")).isEqualTo("none");
                USER.set("ctx");
                ContextVar.Context nested = ContextVar.Context.copyCurrent();
                nested.run(() -> USER.set("nested"));
                assertThat(nested.get(USER)).isEqualTo("nested");
                return USER.get();
            });
            assertThat(inside).isEqualTo("ctx");
            assertThat(ctx.get(USER)).isEqualTo("ctx");
            assertThat(USER.get()).isEqualTo("thread");
            return null;
        });
    }

    @Test
    void callInATaskMaySuspendAndTasksItCreatesCopyTheContext() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                USER.set("task");
                ContextVar.Context ctx = ContextVar.Context.empty();
                Task<String> child = ctx.call(() -> {
                    USER.set("ctx");
                    Async.sleep(java.time.Duration.ofSeconds(1));
                    assertThat(Task.current().orElseThrow().context()).isSameAs(ctx);
                    return Async.spawn(() -> {
                        String seen = USER.get();
                        USER.set("child"); // a copy: not written into ctx
                        return seen;
                    });
                });
                assertThat(USER.get()).isEqualTo("task");
                assertThat(Async.await(child)).isEqualTo("ctx");
                assertThat(ctx.get(USER)).isEqualTo("ctx");
                return null;
            });
        }
    }

    @Test
    void callInALoopCallbackRunsInTheContext() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            ContextVar.Context ctx = ContextVar.Context.empty();
            LoopFuture<String> scheduledInside = loop.createFuture();
            LoopFuture<String> afterCall = loop.createFuture();
            loop.callSoon(() -> {
                USER.set("callback");
                ctx.run(() -> {
                    USER.set("ctx");
                    loop.callSoon(() -> scheduledInside.complete(USER.get()));
                });
                afterCall.complete(USER.get());
            });
            assertThat(loop.runUntilComplete(afterCall)).isEqualTo("callback");
            assertThat(loop.runUntilComplete(scheduledInside)).isEqualTo("ctx");
            assertThat(ctx.get(USER)).isEqualTo("ctx");
        }
    }

    @Test
    void aTokenResetsInTheSameContextFromAnotherTaskButNowhereElse() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                ContextVar.Context ctx = ContextVar.Context.empty();
                ContextVar.Token<String> token = Async.await(Async.spawn(null, () -> USER.set("x"), ctx));
                assertThatThrownBy(() -> USER.reset(token)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("different context");
                Async.await(Async.spawn(null, () -> {
                    USER.reset(token);
                    return null;
                }, ctx));
                assertThat(ctx.contains(USER)).isFalse();
                return null;
            });
        }
    }

    /** Tasks of two loops and plain threads write one context at once: no write is lost. */
    @Test
    void concurrentWritersLoseNoWrite() throws Exception {
        int writers = 6;
        int writes = 2_000;
        List<ContextVar<Integer>> vars = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            vars.add(ContextVar.of("w" + i));
        }
        ContextVar.Context ctx = ContextVar.Context.empty();
        CompletableFuture<Void> go = new CompletableFuture<>(); // every writer starts together
        try (EventThread a = new EventThread("ctx-a").start(); EventThread b = new EventThread("ctx-b").start()) {
            List<Future<?>> done = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                ContextVar<Integer> v = vars.get(i);
                Runnable body = () -> {
                    for (int n = 1; n <= writes; n++) {
                        v.set(n);
                        if (v.get() < n) {
                            throw new AssertionError("own write not seen");
                        }
                    }
                };
                switch (i % 3) {
                    case 0 -> done.add(a.submit(() -> Async.await(EventLoop.current()
                            .createTask(null, () -> {
                                Async.await(go);
                                body.run();
                                return null;
                            }, ctx))));
                    case 1 -> done.add(b.submit(() -> Async.await(EventLoop.current()
                            .createTask(null, () -> {
                                Async.await(go);
                                body.run();
                                return null;
                            }, ctx))));
                    default -> {
                        CompletableFuture<Void> f = new CompletableFuture<>();
                        threads.add(Thread.ofPlatform().start(() -> {
                            try {
                                go.join();
                                ctx.run(body);
                                f.complete(null);
                            } catch (Throwable e) {
                                f.completeExceptionally(e);
                            }
                        }));
                        done.add(f);
                    }
                }
            }
            go.complete(null);
            for (Future<?> f : done) {
                f.get();
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        for (ContextVar<Integer> v : vars) {
            assertThat(ctx.get(v)).isEqualTo(writes);
        }
    }

    @Test
    void taskContextFromAnotherThreadWhileTheLoopRunsItIsRefused() throws Exception {
        try (EventThread et = new EventThread("ctx-owner").start()) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Task<Void>> spawned = new CompletableFuture<>();
            CompletableFuture<Void> result = et.submit(() -> {
                Task<Void> t = Async.spawn(() -> {
                    Threads.toThread(() -> {
                        release.await();
                        return null;
                    });
                    return null;
                });
                spawned.complete(t);
                return Async.await(t);
            });
            Task<Void> task = spawned.get();
            assertThatThrownBy(task::context).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ctx-owner")
                    .hasMessageContaining("Task.context()");
            release.countDown();
            result.get();
        }
    }

    @Test
    void toStringNamesTheVariablesNotTheirValues() throws Exception {
        onFreshThread(() -> {
            ContextVar.Context ctx = ContextVar.Context.empty();
            ctx.run(() -> {
                USER.set("secret");
                COUNT.set(1);
            });
            assertThat(ctx.toString()).isEqualTo("ContextVar.Context[user, count]").doesNotContain("secret");
            ContextVar.Context copy = ctx.copy();
            ctx.run(() -> USER.set("changed"));
            assertThat(copy.get(USER)).isEqualTo("secret");
            return null;
        });
    }
}
