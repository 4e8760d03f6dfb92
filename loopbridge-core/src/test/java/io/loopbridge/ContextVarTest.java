package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Behaviour of {@link ContextVar}, after CPython's contextvars (PEP 567, test_context.py) and
 * asyncio's per-task contexts (test_tasks.py: test_context_1..3, test_context_run_in_task...).
 */
class ContextVarTest {

    static EventLoop virtualLoop() {
        return EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
    }

    /** Runs {@code body} on a fresh platform thread, so that values set there cannot leak to other tests. */
    static <T> T onFreshThread(Callable<T> body) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("contextvar-test").start(() -> {
            try {
                out.set(new Object[] {body.call()});
            } catch (Throwable e) {
                out.set(e);
            }
        });
        t.join();
        Object o = out.get();
        if (o instanceof Exception e) {
            throw e;
        }
        if (o instanceof Error e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        T v = (T) ((Object[]) o)[0];
        return v;
    }

    // ---------------------------------------------------------------- get / set / reset

    @Test
    void getWithoutValueOrDefaultThrows() throws Exception {
        ContextVar<String> v = ContextVar.of("request-id");
        onFreshThread(() -> {
            assertThatThrownBy(v::get).isInstanceOf(NoSuchElementException.class).hasMessageContaining("request-id");
            assertThat(v.getOrDefault("fallback")).isEqualTo("fallback");
            return null;
        });
        assertThat(v.name()).isEqualTo("request-id");
        assertThat(v.toString()).contains("request-id");
    }

    @Test
    void defaultIsReturnedUntilSet() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "dflt");
        onFreshThread(() -> {
            assertThat(v.get()).isEqualTo("dflt");
            assertThat(v.getOrDefault("fallback")).isEqualTo("dflt");
            ContextVar.Token<String> tok = v.set("x");
            assertThat(v.get()).isEqualTo("x");
            v.reset(tok);
            assertThat(v.get()).isEqualTo("dflt");
            return null;
        });
    }

    /** test_context_var_new_2 .. : set returns a token; reset restores the previous value, or unset. */
    @Test
    void setAndResetWithTokens() throws Exception {
        ContextVar<Integer> v = ContextVar.of("n");
        onFreshThread(() -> {
            ContextVar.Token<Integer> t1 = v.set(1);
            assertThat(t1.var()).isSameAs(v);
            assertThat(v.get()).isEqualTo(1);
            ContextVar.Token<Integer> t2 = v.set(2);
            assertThat(v.get()).isEqualTo(2);
            v.reset(t2);
            assertThat(v.get()).isEqualTo(1);
            v.reset(t1);
            assertThatThrownBy(v::get).isInstanceOf(NoSuchElementException.class);
            return null;
        });
    }

    @Test
    void nullIsAValue() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "dflt");
        onFreshThread(() -> {
            v.set(null);
            assertThat(v.get()).isNull();
            assertThat(v.getOrDefault("fallback")).isNull();
            return null;
        });
    }

    @Test
    void variablesAreIndependent() throws Exception {
        ContextVar<String> a = ContextVar.of("same-name");
        ContextVar<String> b = ContextVar.of("same-name");
        onFreshThread(() -> {
            a.set("a");
            assertThatThrownBy(b::get).isInstanceOf(NoSuchElementException.class);
            b.set("b");
            assertThat(a.get()).isEqualTo("a");
            return null;
        });
    }

    /** test_context_var_reset_2: a token is single use. */
    @Test
    void tokenCanBeUsedOnlyOnce() throws Exception {
        ContextVar<String> v = ContextVar.of("v");
        onFreshThread(() -> {
            ContextVar.Token<String> t = v.set("x");
            v.reset(t);
            assertThatThrownBy(() -> v.reset(t)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already been used");
            return null;
        });
    }

    /** test_context_var_reset_3: a token of another variable is refused. */
    @Test
    void tokenOfAnotherVariableIsRefused() throws Exception {
        ContextVar<String> a = ContextVar.of("a");
        ContextVar<String> b = ContextVar.of("b");
        onFreshThread(() -> {
            ContextVar.Token<String> ta = a.set("x");
            assertThatThrownBy(() -> b.reset(ta)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'a'").hasMessageContaining("'b'");
            assertThat(a.get()).isEqualTo("x");
            return null;
        });
    }

    /** test_context_var_reset_1: a token made in another context (another thread) is refused. */
    @Test
    void tokenFromAnotherThreadIsRefused() throws Exception {
        ContextVar<String> v = ContextVar.of("v");
        ContextVar.Token<String> foreign = onFreshThread(() -> v.set("there"));
        onFreshThread(() -> {
            v.set("here");
            assertThatThrownBy(() -> v.reset(foreign)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("different context");
            assertThat(v.get()).isEqualTo("here");
            return null;
        });
    }

    /** A token made in a task cannot be used by another task, even of the same loop. */
    @Test
    void tokenFromAnotherTaskIsRefused() throws Exception {
        ContextVar<String> v = ContextVar.of("v");
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<ContextVar.Token<String>> a = Async.spawn(() -> v.set("a"));
                ContextVar.Token<String> tok = Async.await(a);
                assertThatThrownBy(() -> v.reset(tok)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("different context");
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- tasks

    /** test_context_1: each task sees its creator's values at creation. */
    @Test
    void taskStartsWithACopyOfItsCreatorsContext() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        try (EventLoop loop = virtualLoop()) {
            List<String> seen = loop.runUntilComplete(() -> {
                v.set("parent-1");
                Task<String> a = Async.spawn(() -> {
                    Async.sleep(Duration.ofSeconds(1));
                    return v.get();
                });
                // A write after the child was created is not seen by it.
                v.set("parent-2");
                Task<String> b = Async.spawn(v::get);
                return List.of(Async.await(a), Async.await(b), v.get());
            });
            assertThat(seen).containsExactly("parent-1", "parent-2", "parent-2");
        }
    }

    /** test_context_2/3: a write inside a task never leaks to its creator or its siblings. */
    @Test
    void writesInATaskDoNotLeakToItsCreator() throws Exception {
        ContextVar<Integer> v = ContextVar.withDefault("v", 0);
        try (EventLoop loop = virtualLoop()) {
            List<Integer> seen = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                v.set(1);
                Task<Integer> child = Async.spawn(() -> {
                    v.set(2);
                    Async.sleep(Duration.ofSeconds(1));
                    return v.get();
                });
                Task<Integer> sibling = Async.spawn(() -> {
                    Async.sleep(Duration.ofSeconds(2));
                    return v.get();
                });
                Async.sleep(Duration.ofMillis(500));
                seen.add(v.get()); // the child has set 2 meanwhile
                seen.add(Async.await(child));
                seen.add(Async.await(sibling));
                seen.add(v.get());
                return null;
            });
            assertThat(seen).containsExactly(1, 2, 1, 1);
        }
    }

    /** Children of children inherit along the chain, each with its own copy. */
    @Test
    void nestedTasksInheritTransitively() throws Exception {
        ContextVar<String> v = ContextVar.of("v");
        try (EventLoop loop = virtualLoop()) {
            String r = loop.runUntilComplete(() -> {
                v.set("root");
                return Async.await(Async.spawn(() -> {
                    String inherited = v.get();
                    v.set("middle");
                    String grandchild = Async.await(Async.spawn(v::get));
                    return inherited + "/" + grandchild + "/" + v.get();
                })) + "/" + v.get();
            });
            assertThat(r).isEqualTo("root/middle/middle/root");
        }
    }

    /** Tasks of a TaskGroup start with the values of the task that spawned them. */
    @Test
    void taskGroupChildrenInheritFromTheSpawningTask() throws Exception {
        ContextVar<String> v = ContextVar.of("v");
        try (EventLoop loop = virtualLoop()) {
            List<String> seen = loop.runUntilComplete(() -> {
                v.set("body");
                Task<String> a;
                Task<String> b;
                try (TaskGroup g = TaskGroup.open()) {
                    a = g.spawn(v::get);
                    v.set("body-2");
                    b = g.spawn(() -> {
                        v.set("child-own");
                        return v.get();
                    });
                }
                return List.of(a.result(), b.result(), v.get());
            });
            assertThat(seen).containsExactly("body", "child-own", "body-2");
        }
    }

    /** asyncio.run copies the caller's context: a value set on the calling thread is seen by the main task. */
    @Test
    void mainTaskSeesTheCallingThreadsValues() throws Exception {
        ContextVar<String> v = ContextVar.of("v");
        String[] seen = onFreshThread(() -> {
            v.set("from-thread");
            try (EventLoop loop = virtualLoop()) {
                String inTask = loop.runUntilComplete(() -> {
                    String s = v.get();
                    v.set("changed-in-task");
                    return s;
                });
                return new String[] {inTask, v.get()};
            }
        });
        assertThat(seen).containsExactly("from-thread", "from-thread");
    }

    // ---------------------------------------------------------------- callbacks

    /** Callbacks scheduled from a task (callSoon, callLater) run with the task's values. */
    @Test
    void callbacksScheduledFromATaskSeeItsValues() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        try (EventLoop loop = virtualLoop()) {
            List<String> seen = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                EventLoop l = EventLoop.current();
                LoopFuture<Void> soonDone = l.createFuture();
                LoopFuture<Void> laterDone = l.createFuture();
                Task<Object> a = Async.spawn(() -> {
                    v.set("task-a");
                    l.callSoon(() -> {
                        seen.add("soon:" + v.get());
                        soonDone.complete(null);
                    });
                    l.callLater(Duration.ofSeconds(1), () -> {
                        seen.add("later:" + v.get());
                        laterDone.complete(null);
                    });
                    // Changed after scheduling: the callbacks keep the values of when they were scheduled.
                    v.set("task-a-later");
                    return null;
                });
                Async.await(a);
                Async.await(soonDone);
                Async.await(laterDone);
                seen.add("main:" + v.get());
                return null;
            });
            assertThat(seen).containsExactly("soon:task-a", "later:task-a", "main:none");
        }
    }

    /** A callback's writes stay in the callback; the task that scheduled it does not see them. */
    @Test
    void writesInACallbackDoNotLeakToTheTask() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        try (EventLoop loop = virtualLoop()) {
            List<String> seen = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                v.set("task");
                LoopFuture<Void> done = EventLoop.current().createFuture();
                EventLoop.current().callSoon(() -> {
                    v.set("callback");
                    seen.add(v.get());
                    done.complete(null);
                });
                Async.await(done);
                seen.add(v.get());
                return null;
            });
            assertThat(seen).containsExactly("callback", "task");
        }
    }

    /** Two callbacks scheduled from different tasks each see their own task's values. */
    @Test
    void callbacksFromDifferentTasksAreIsolated() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        try (EventLoop loop = virtualLoop()) {
            List<String> seen = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                EventLoop l = EventLoop.current();
                LoopFuture<Void> d1 = l.createFuture();
                LoopFuture<Void> d2 = l.createFuture();
                Async.spawn(() -> {
                    v.set("one");
                    l.callLater(Duration.ofSeconds(2), () -> {
                        seen.add(v.get());
                        d1.complete(null);
                    });
                    return null;
                });
                Async.spawn(() -> {
                    v.set("two");
                    l.callLater(Duration.ofSeconds(1), () -> {
                        seen.add(v.get());
                        d2.complete(null);
                    });
                    return null;
                });
                Async.await(Async.gather(d1, d2));
                return null;
            });
            assertThat(seen).containsExactly("two", "one");
        }
    }

    /** Done-callbacks run with the values of the code that added them. */
    @Test
    void doneCallbacksSeeTheValuesOfWhoAddedThem() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<String> seen = new AtomicReference<>();
            loop.runUntilComplete(() -> {
                LoopFuture<String> f = EventLoop.current().createFuture();
                LoopFuture<Void> ran = EventLoop.current().createFuture();
                Task<Object> adder = Async.spawn(() -> {
                    v.set("adder");
                    f.addDoneCallback(x -> {
                        seen.set(v.get());
                        ran.complete(null);
                    });
                    return null;
                });
                Async.await(adder);
                v.set("completer");
                f.complete("x");
                Async.await(ran);
                return null;
            });
            assertThat(seen.get()).isEqualTo("adder");
        }
    }

    // ---------------------------------------------------------------- thread hops

    /** Async.toThread carries the task's values to the worker thread; the worker's writes stay there. */
    @Test
    void toThreadCarriesTheTasksValues() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        try (EventLoop loop = virtualLoop()) {
            List<String> seen = loop.runUntilComplete(() -> {
                v.set("task");
                String inWorker = Async.toThread(() -> {
                    String s = v.get();
                    v.set("worker");
                    return s;
                });
                return List.of(inWorker, v.get());
            });
            assertThat(seen).containsExactly("task", "task");
        }
    }

    /** Contexts are per thread: values set on one plain thread are not seen on another. */
    @Test
    void plainThreadsHaveSeparateValues() throws Exception {
        ContextVar<String> v = ContextVar.withDefault("v", "none");
        onFreshThread(() -> {
            v.set("first");
            String other = onFreshThread(v::get);
            assertThat(other).isEqualTo("none");
            return null;
        });
    }

    /**
     * A token made in one loop callback is refused by another (each callback runs in its own
     * context, as the refusal's message says); it used to be taken, unsetting the second
     * callback's value.
     */
    @Test
    void aTokenFromAnotherCallbackIsRefused() {
        ContextVar<String> v = ContextVar.of("v");
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<ContextVar.Token<String>> token = new AtomicReference<>();
            AtomicReference<Throwable> resetFailure = new AtomicReference<>();
            AtomicReference<String> after = new AtomicReference<>();
            loop.callSoon(() -> token.set(v.set("a")));
            loop.callSoon(() -> {
                v.set("b");
                try {
                    v.reset(token.get());
                } catch (Throwable e) {
                    resetFailure.set(e);
                }
                after.set(v.getOrDefault("<unset>"));
                loop.stop();
            });
            loop.runForever();
            assertThat(resetFailure.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("different context");
            assertThat(after.get()).isEqualTo("b");
        }
    }

    /** Within one callback, set and reset pair up as before. */
    @Test
    void aTokenIsTakenBackInTheCallbackThatMadeIt() {
        ContextVar<String> v = ContextVar.of("v");
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<String> after = new AtomicReference<>();
            loop.callSoon(() -> {
                ContextVar.Token<String> t = v.set("a");
                v.reset(t);
                after.set(v.getOrDefault("<unset>"));
                loop.stop();
            });
            loop.runForever();
            assertThat(after.get()).isEqualTo("<unset>");
        }
    }
}
