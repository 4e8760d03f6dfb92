package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import org.assertj.core.api.InstanceOfAssertFactories;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Behaviour of {@link TaskGroup}, after CPython's Lib/test/test_asyncio/test_taskgroups.py. */
class TaskGroupTest {

    static EventLoop virtualLoop() {
        return EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
    }

    static final class MyException extends Exception {
        MyException(String m) {
            super(m);
        }
    }

    static final class MyError extends AssertionError {
        MyError(String m) {
            super(m);
        }
    }

    private static <T> T sleepThen(Duration d, T value) throws Exception {
        Async.sleep(d);
        return value;
    }

    private static Object sleepThenFail(Duration d, Exception e) throws Exception {
        Async.sleep(d);
        throw e;
    }

    private static Object sleepThenThrow(Duration d, Error e) throws Exception {
        Async.sleep(d);
        throw e;
    }

    /** A child that fails with {@code e} when it is cancelled (from its finally block). */
    private static Object failWhenCancelled(RuntimeException e) throws Exception {
        try {
            Async.sleep(Duration.ofSeconds(10));
        } finally {
            throw e;
        }
    }

    // ---------------------------------------------------------------- success

    /** test_taskgroup_01: every child is done, with its result, when the block is left. */
    @Test
    void childrenAreAllDoneWhenTheBlockIsLeft() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<Integer> t1;
                Task<Integer> t2;
                try (TaskGroup g = TaskGroup.open()) {
                    t1 = g.spawn(() -> sleepThen(Duration.ofMillis(100), 42));
                    t2 = g.spawn(() -> sleepThen(Duration.ofMillis(200), 11));
                }
                assertThat(t1.isDone()).isTrue();
                assertThat(t2.isDone()).isTrue();
                assertThat(t1.result()).isEqualTo(42);
                assertThat(t2.result()).isEqualTo(11);
                return null;
            });
        }
    }

    /** test_taskgroup_02: children spawned after a suspension of the body are awaited too. */
    @Test
    void childSpawnedAfterTheBodySuspendedIsAwaited() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<Integer> t1;
                Task<Integer> t2;
                try (TaskGroup g = TaskGroup.open()) {
                    t1 = g.spawn(() -> sleepThen(Duration.ofMillis(100), 42));
                    Async.sleep(Duration.ofMillis(150));
                    t2 = g.spawn(() -> sleepThen(Duration.ofMillis(200), 11));
                }
                assertThat(t1.result()).isEqualTo(42);
                assertThat(t2.result()).isEqualTo(11);
                return null;
            });
        }
    }

    /** test_taskgroup_03: a child cancelled explicitly is not a failure of the group. */
    @Test
    void explicitlyCancelledChildDoesNotFailTheGroup() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<Integer> t1;
                Task<Integer> t2;
                try (TaskGroup g = TaskGroup.open()) {
                    t1 = g.spawn(() -> sleepThen(Duration.ofSeconds(1), 42));
                    Async.sleep(Duration.ofMillis(150));
                    t1.cancel("explicit");
                    t2 = g.spawn(() -> sleepThen(Duration.ofMillis(200), 11));
                }
                assertThat(t1.isCancelled()).isTrue();
                assertThat(t2.result()).isEqualTo(11);
                return null;
            });
        }
    }

    @Test
    void emptyGroupClosesAtOnce() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            String r = loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    assertThat(g).isNotNull();
                }
                return "ok";
            });
            assertThat(r).isEqualTo("ok");
        }
    }

    @Test
    void runReturnsTheBodysResultAfterChildrenFinish() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Task<Integer>> tasks = new ArrayList<>();
            int r = loop.runUntilComplete(() -> TaskGroup.run(g -> {
                tasks.add(g.spawn(() -> sleepThen(Duration.ofSeconds(1), 1)));
                tasks.add(g.spawn(() -> sleepThen(Duration.ofSeconds(2), 2)));
                return 7;
            }));
            assertThat(r).isEqualTo(7);
            assertThat(tasks).allMatch(Task::isDone);
            assertThat(tasks.get(0).result()).isEqualTo(1);
            assertThat(tasks.get(1).result()).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- failures

    /**
     * test_taskgroup_04 / test_cancel_children_on_child_error: the first failure cancels the
     * siblings and the body; the body's await throws the TaskGroupException; code after the
     * block does not run.
     */
    @Test
    void firstFailureCancelsSiblingsAndBody() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicBoolean siblingCancelled = new AtomicBoolean();
            AtomicBoolean siblingFinished = new AtomicBoolean();
            AtomicReference<Throwable> bodyGot = new AtomicReference<>();
            AtomicBoolean afterBlock = new AtomicBoolean();
            AtomicReference<Task<Object>> sibling = new AtomicReference<>();
            Task<Object> runner = loop.createTask(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenFail(Duration.ofMillis(100), new ArithmeticException("/ by zero")));
                    sibling.set(g.spawn(() -> {
                        try {
                            Async.sleep(Duration.ofSeconds(5));
                        } catch (CancelledException e) {
                            siblingCancelled.set(true);
                            throw e;
                        }
                        siblingFinished.set(true);
                        return null;
                    }));
                    try {
                        Async.sleep(Duration.ofSeconds(10));
                    } catch (Exception e) {
                        bodyGot.set(e);
                        throw e;
                    }
                }
                afterBlock.set(true);
                return null;
            });
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(runner));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            TaskGroupException tge = (TaskGroupException) thrown;
            assertThat(tge.getExceptions()).hasSize(1);
            assertThat(tge.getExceptions().get(0)).isInstanceOf(ArithmeticException.class).hasMessage("/ by zero");
            assertThat(bodyGot.get()).isSameAs(tge);
            assertThat(siblingCancelled).isTrue();
            assertThat(siblingFinished).isFalse();
            assertThat(sibling.get().isCancelled()).isTrue();
            assertThat(afterBlock).isFalse();
            // The failure is raised once: the group does not leave the parent with a pending cancellation.
            assertThat(runner.cancelling()).isZero();
        }
    }

    /** Every failure that happens while the group shuts down is collected, in order. */
    @Test
    void allFailuresAreCollected() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenFail(Duration.ofMillis(100), new MyException("first")));
                    g.spawn(() -> {
                        try {
                            Async.sleep(Duration.ofSeconds(10));
                        } finally {
                            // Fails in its cleanup (asyncio test_taskgroup_19).
                            throw new IllegalStateException("second, from cleanup");
                        }
                    });
                    g.spawn(() -> sleepThen(Duration.ofSeconds(10), "cancelled quietly"));
                    Async.sleep(Duration.ofSeconds(100));
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            List<Throwable> ex = ((TaskGroupException) thrown).getExceptions();
            assertThat(ex).hasSize(2);
            assertThat(ex.get(0)).isInstanceOf(MyException.class).hasMessage("first");
            assertThat(ex.get(1)).isInstanceOf(IllegalStateException.class).hasMessage("second, from cleanup");
            assertThat(thrown.getSuppressed()).contains(ex.get(0), ex.get(1));
            assertThat(thrown.getMessage()).contains("2 sub-exceptions");
        }
    }

    /**
     * test_cancel_children_on_child_error: several children failing around the same time. As in
     * asyncio, which of them get to fail before the first failure cancels them is not specified;
     * the group holds only real failures, never the cancellations it caused.
     */
    @Test
    void simultaneousFailuresAreReportedWithoutCancellations() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicBoolean lastCancelled = new AtomicBoolean();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> TaskGroup.run(g -> {
                for (int i = 0; i < 3; i++) {
                    int n = i;
                    g.spawn(() -> sleepThenFail(Duration.ofMillis(100), new MyException("child " + n)));
                }
                g.spawn(() -> {
                    try {
                        return sleepThen(Duration.ofSeconds(5), "x");
                    } catch (CancelledException e) {
                        lastCancelled.set(true);
                        throw e;
                    }
                });
                Async.sleep(Duration.ofSeconds(10));
                return null;
            })));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            List<Throwable> ex = ((TaskGroupException) thrown).getExceptions();
            assertThat(ex).isNotEmpty().hasSizeLessThanOrEqualTo(3).allMatch(e -> e instanceof MyException);
            assertThat(ex.get(0)).hasMessage("child 0");
            assertThat(lastCancelled).isTrue();
        }
    }

    /** A child that fails while the body is already in close() fails the block. */
    @Test
    void failureWhileClosingIsThrownFromClose() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicBoolean siblingCancelled = new AtomicBoolean();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenFail(Duration.ofSeconds(1), new MyException("late")));
                    g.spawn(() -> {
                        try {
                            return sleepThen(Duration.ofSeconds(10), "x");
                        } catch (CancelledException e) {
                            siblingCancelled.set(true);
                            throw e;
                        }
                    });
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) thrown).getExceptions()).singleElement()
                    .isInstanceOf(MyException.class);
            assertThat(siblingCancelled).isTrue();
        }
    }

    /** test_taskgroup_20: an Error thrown by a child (here an AssertionError) propagates bare. */
    @Test
    void errorFromChildPropagatesBare() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            MyError err = new MyError("boom");
            AtomicBoolean siblingCancelled = new AtomicBoolean();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenThrow(Duration.ofMillis(100), err));
                    g.spawn(() -> {
                        try {
                            return sleepThen(Duration.ofSeconds(10), "x");
                        } catch (CancelledException e) {
                            siblingCancelled.set(true);
                            throw e;
                        }
                    });
                    Async.sleep(Duration.ofSeconds(10));
                }
                return null;
            }));
            assertThat(thrown).isSameAs(err);
            assertThat(siblingCancelled).isTrue();
        }
    }

    /** An OutOfMemoryError in a child, raised while the body already waits in close(), propagates bare. */
    @Test
    void outOfMemoryErrorFromChildPropagatesBare() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            OutOfMemoryError oom = new OutOfMemoryError("simulated");
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenThrow(Duration.ofMillis(100), oom));
                    g.spawn(() -> sleepThen(Duration.ofSeconds(10), "x"));
                }
                return null;
            }));
            assertThat(thrown).isSameAs(oom);
        }
    }

    @Test
    void errorFromChildPropagatesBareFromRun() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            MyError err = new MyError("boom");
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> TaskGroup.run(g -> {
                g.spawn(() -> sleepThenThrow(Duration.ofMillis(100), err));
                g.spawn(() -> sleepThenFail(Duration.ofMillis(100), new MyException("ordinary")));
                Async.sleep(Duration.ofSeconds(10));
                return null;
            })));
            assertThat(thrown).isSameAs(err);
        }
    }

    // ---------------------------------------------------------------- outer cancellation

    /** test_cancellation: cancelling the parent cancels every child and propagates CancelledException. */
    @Test
    void outerCancellationCancelsChildrenAndPropagates() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicInteger cancelledChildren = new AtomicInteger();
            AtomicBoolean bodyCancelled = new AtomicBoolean();
            loop.runUntilComplete(() -> {
                Task<Object> r = Async.spawn(() -> {
                    try (TaskGroup g = TaskGroup.open()) {
                        for (int i = 0; i < 5; i++) {
                            g.spawn(() -> {
                                try {
                                    return sleepThen(Duration.ofSeconds(5), "x");
                                } catch (CancelledException e) {
                                    cancelledChildren.incrementAndGet();
                                    throw e;
                                }
                            });
                        }
                        try {
                            Async.sleep(Duration.ofSeconds(10));
                        } catch (CancelledException e) {
                            bodyCancelled.set(true);
                            throw e;
                        }
                    }
                    return null;
                });
                Async.sleep(Duration.ofMillis(100));
                assertThat(r.isDone()).isFalse();
                r.cancel("test");
                assertThatThrownBy(() -> Async.await(r)).isInstanceOf(CancelledException.class).hasMessage("test");
                return null;
            });
            assertThat(bodyCancelled).isTrue();
            assertThat(cancelledChildren).hasValue(5);
        }
    }

    /** test_cancellation with the body already in close(): the children are cancelled too. */
    @Test
    void outerCancellationWhileClosingCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicInteger cancelledChildren = new AtomicInteger();
            loop.runUntilComplete(() -> {
                Task<Object> r = Async.spawn(() -> {
                    try (TaskGroup g = TaskGroup.open()) {
                        for (int i = 0; i < 5; i++) {
                            g.spawn(() -> {
                                try {
                                    return sleepThen(Duration.ofSeconds(5), "x");
                                } catch (CancelledException e) {
                                    cancelledChildren.incrementAndGet();
                                    throw e;
                                }
                            });
                        }
                    }
                    return null;
                });
                Async.sleep(Duration.ofMillis(100));
                r.cancel("test");
                assertThatThrownBy(() -> Async.await(r)).isInstanceOf(CancelledException.class).hasMessage("test");
                assertThat(loop.time()).isLessThan(Duration.ofSeconds(5).toNanos());
                return null;
            });
            assertThat(cancelledChildren).hasValue(5);
        }
    }

    /** test_cancellation_in_body: outer cancellation wins over children's failures that it caused. */
    @Test
    void outerCancellationPropagatesWhenNoChildFailed() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<Object> r = Async.spawn(() -> TaskGroup.run(g -> {
                    g.spawn(() -> sleepThen(Duration.ofSeconds(5), "a"));
                    g.spawn(() -> sleepThen(Duration.ofSeconds(5), "b"));
                    Async.sleep(Duration.ofSeconds(10));
                    return null;
                }));
                Async.sleep(Duration.ofMillis(100));
                r.cancel("outer");
                assertThatThrownBy(() -> Async.await(r)).isInstanceOf(CancelledException.class).hasMessage("outer");
                return null;
            });
        }
    }

    /** test_taskgroup_17: a group with no children passes the outer cancellation through. */
    @Test
    void outerCancellationOfEmptyGroup() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicBoolean bodyCancelled = new AtomicBoolean();
            loop.runUntilComplete(() -> {
                Task<Object> r = Async.spawn(() -> {
                    try (TaskGroup g = TaskGroup.open()) {
                        try {
                            Async.sleep(Duration.ofSeconds(10));
                        } catch (CancelledException e) {
                            bodyCancelled.set(true);
                            throw e;
                        }
                    }
                    return null;
                });
                Async.sleep(Duration.ofMillis(100));
                r.cancel("no message");
                assertThatThrownBy(() -> Async.await(r)).isInstanceOf(CancelledException.class);
                return null;
            });
            assertThat(bodyCancelled).isTrue();
        }
    }

    /** test_taskgroup_18: a body that turns its cancellation into an exception fails the group with it. */
    @Test
    void bodyTurningCancellationIntoExceptionFailsTheGroup() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<Object> r = Async.spawn(() -> TaskGroup.run(g -> {
                    try {
                        Async.sleep(Duration.ofSeconds(10));
                    } catch (CancelledException e) {
                        throw new MyException("instead of cancelled");
                    }
                    return null;
                }));
                Async.sleep(Duration.ofMillis(100));
                r.cancel("outer");
                Throwable thrown = catchThrowable(() -> Async.await(r));
                assertThat(thrown).isInstanceOf(TaskGroupException.class);
                assertThat(((TaskGroupException) thrown).getExceptions()).singleElement().isInstanceOf(MyException.class);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- body failures (run)

    /** test_taskgroup_09/10: the body throwing cancels the children; its exception joins the group's. */
    @Test
    void runBodyThrowingCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Task<Integer>> tasks = new ArrayList<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> TaskGroup.run(g -> {
                tasks.add(g.spawn(() -> sleepThen(Duration.ofSeconds(1), 42)));
                tasks.add(g.spawn(() -> sleepThen(Duration.ofSeconds(2), 11)));
                Async.sleep(Duration.ofMillis(100));
                throw new ArithmeticException("/ by zero");
            })));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) thrown).getExceptions()).singleElement()
                    .isInstanceOf(ArithmeticException.class);
            assertThat(tasks).hasSize(2).allMatch(Task::isCancelled);
        }
    }

    @Test
    void runBodyThrowingBeforeAnySuspensionCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Task<Integer>> tasks = new ArrayList<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> TaskGroup.run(g -> {
                tasks.add(g.spawn(() -> sleepThen(Duration.ofSeconds(1), 42)));
                throw new MyException("body");
            })));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) thrown).getExceptions()).singleElement()
                    .isInstanceOf(MyException.class);
            assertThat(tasks).singleElement().matches(Task::isCancelled);
        }
    }

    // ---------------------------------------------------------------- nesting

    /** test_taskgroup_13: the outer group's child fails first: the inner group is cancelled. */
    @Test
    void nestedGroupsOuterChildFailsFirst() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<Object>> innerChild = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g1 = TaskGroup.open()) {
                    g1.spawn(() -> sleepThenFail(Duration.ofMillis(100), new MyException("outer child")));
                    try (TaskGroup g2 = TaskGroup.open()) {
                        innerChild.set(g2.spawn(() -> sleepThenFail(Duration.ofSeconds(10), new MyException("inner child"))));
                    }
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) thrown).getExceptions()).singleElement()
                    .asInstanceOf(InstanceOfAssertFactories.THROWABLE).isInstanceOf(MyException.class).hasMessage("outer child");
            assertThat(innerChild.get().isCancelled()).isTrue();
            assertThat(loop.time()).isLessThan(Duration.ofSeconds(10).toNanos());
        }
    }

    /** test_taskgroup_14: the inner group's child fails first: the outer group gets the inner group's exception. */
    @Test
    void nestedGroupsInnerChildFailsFirst() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<Object>> outerChild = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> TaskGroup.run(g1 -> {
                outerChild.set(g1.spawn(() -> sleepThenFail(Duration.ofSeconds(10), new MyException("outer child"))));
                return TaskGroup.run(g2 -> {
                    g2.spawn(() -> sleepThenFail(Duration.ofMillis(100), new MyException("inner child")));
                    return null;
                });
            })));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            List<Throwable> ex = ((TaskGroupException) thrown).getExceptions();
            assertThat(ex).singleElement().isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) ex.get(0)).getExceptions()).singleElement()
                    .asInstanceOf(InstanceOfAssertFactories.THROWABLE).isInstanceOf(MyException.class).hasMessage("inner child");
            assertThat(outerChild.get().isCancelled()).isTrue();
        }
    }

    // ---------------------------------------------------------------- spawn / confinement

    @Test
    void spawnIntoClosedGroupThrows() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                TaskGroup g;
                try (TaskGroup g0 = TaskGroup.open()) {
                    g = g0;
                    g0.spawn(() -> "x");
                }
                assertThatThrownBy(() -> g.spawn(() -> "late"))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("closed");
                return null;
            });
        }
    }

    /** Like asyncio's "TaskGroup is shutting down": no new children once a failure started the shutdown. */
    @Test
    void spawnIntoShuttingDownGroupThrows() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Throwable> spawnFailure = new AtomicReference<>();
            AtomicReference<Throwable> spawnFromChild = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenFail(Duration.ofMillis(100), new MyException("fail")));
                    g.spawn(() -> {
                        try {
                            return sleepThen(Duration.ofSeconds(10), "x");
                        } finally {
                            spawnFromChild.set(catchThrowable(() -> g.spawn(() -> "from cleanup")));
                        }
                    });
                    try {
                        Async.sleep(Duration.ofSeconds(10));
                    } catch (TaskGroupException e) {
                        spawnFailure.set(catchThrowable(() -> g.spawn(() -> "late")));
                        throw e;
                    }
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            assertThat(spawnFailure.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("shutting down");
            assertThat(spawnFromChild.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("shutting down");
        }
    }

    @Test
    void openOutsideATaskThrows() {
        assertThatThrownBy(TaskGroup::open)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a task");
    }

    @Test
    void closeIsIdempotent() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                TaskGroup g = TaskGroup.open();
                Task<String> t = g.spawn(() -> sleepThen(Duration.ofSeconds(1), "x"));
                g.close();
                g.close();
                assertThat(t.result()).isEqualTo("x");
                return null;
            });
        }
    }

    @Test
    void childrenRunConcurrentlyAndSeeNoOrderingSurprises() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> log = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> {
                        log.add("a1");
                        Async.sleep(Duration.ofSeconds(2));
                        log.add("a2");
                        return null;
                    });
                    g.spawn(() -> {
                        log.add("b1");
                        Async.sleep(Duration.ofSeconds(1));
                        log.add("b2");
                        return null;
                    });
                }
                log.add("after");
                return null;
            });
            assertThat(log).containsExactly("a1", "b1", "b2", "a2", "after");
        }
    }

    // ---------------------------------------------------------------- with timeouts

    /** A timeout around a group: the children are cancelled and the block ends with TimeoutException. */
    @Test
    void timeoutAroundGroupCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<String>> child = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                    return TaskGroup.run(g -> {
                        child.set(g.spawn(() -> sleepThen(Duration.ofSeconds(10), "x")));
                        Async.sleep(Duration.ofSeconds(10));
                        return null;
                    });
                }
            }));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
            assertThat(child.get().isCancelled()).isTrue();
            assertThat(loop.time()).isLessThan(Duration.ofSeconds(10).toNanos());
        }
    }

    /** The same with try-with-resources, the deadline passing while the body awaits inside the group. */
    @Test
    void timeoutInBodyCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<String>> child = new AtomicReference<>();
            AtomicBoolean expired = new AtomicBoolean();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                    try {
                        try (TaskGroup g = TaskGroup.open()) {
                            child.set(g.spawn(() -> sleepThen(Duration.ofSeconds(10), "x")));
                            Async.sleep(Duration.ofSeconds(10));
                        }
                    } finally {
                        expired.set(t.expired());
                    }
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
            assertThat(expired).isTrue();
            assertThat(child.get().isCancelled()).isTrue();
            assertThat(loop.time()).isLessThan(Duration.ofSeconds(10).toNanos());
        }
    }

    /** The same with try-with-resources: the timeout expires while the body waits in close(). */
    @Test
    void timeoutWhileClosingCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<String>> child = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                    try (TaskGroup g = TaskGroup.open()) {
                        child.set(g.spawn(() -> sleepThen(Duration.ofSeconds(10), "x")));
                    }
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
            assertThat(child.get().isCancelled()).isTrue();
        }
    }

    /**
     * asyncio's __aexit__ raises the group's failures whatever the body did with the
     * cancellation it saw: a run() body that catches the group's exception and returns does not
     * make the child's failure disappear (it used to: run returned the body's value).
     */
    @Test
    void runThrowsTheGroupsFailureEvenIfTheBodyCaughtIt() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            MyException boom = new MyException("boom");
            Task<String> t = loop.createTask(() -> TaskGroup.run(g -> {
                g.spawn(() -> sleepThenFail(Duration.ofMillis(10), boom));
                try {
                    Async.sleep(Duration.ofHours(1));
                } catch (Exception swallowed) {
                    // a generic catch around an await: it catches the group's exception too
                }
                return "body";
            }));
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(thrown).isInstanceOf(TaskGroupException.class);
            assertThat(((TaskGroupException) thrown).getExceptions()).containsExactly(boom);
        }
    }

    /**
     * A run() body that swallows an outside cancellation and returns leaves the block normally,
     * so the children are waited for, not cancelled (asyncio aborts only when an exception
     * leaves the block).
     */
    @Test
    void runWhoseBodySwallowsACancellationWaitsForTheChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            java.util.concurrent.atomic.AtomicReference<Task<String>> child = new java.util.concurrent.atomic.AtomicReference<>();
            Task<String> t = loop.createTask(() -> TaskGroup.run(g -> {
                child.set(g.spawn(() -> sleepThen(Duration.ofMillis(10), "child")));
                try {
                    Async.sleep(Duration.ofHours(1));
                } catch (CancelledException swallowed) {
                    // handled
                }
                return "body";
            }));
            loop.runUntilComplete(loop.createTask(() -> {
                Async.sleep(Duration.ZERO);
                return t.cancel();
            }));
            assertThat(loop.runUntilComplete(t)).isEqualTo("body");
            assertThat(child.get().isCancelled()).isFalse();
            assertThat(child.get().result()).isEqualTo("child");
        }
    }

    /**
     * When an Error propagates bare from a group, the other children's failures are not
     * dropped: they travel with it as suppressed exceptions (they used to vanish).
     */
    @Test
    void otherFailuresBesideAnErrorTravelWithItAsSuppressed() throws Exception {
        MyError err = new MyError("boom");
        IllegalStateException other = new IllegalStateException("other");
        try (EventLoop loop = virtualLoop()) {
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (TaskGroup g = TaskGroup.open()) {
                    g.spawn(() -> sleepThenThrow(Duration.ofMillis(100), err));
                    g.spawn(() -> failWhenCancelled(other));
                }
                return null;
            }));
            assertThat(thrown).isSameAs(err);
            assertThat(thrown.getSuppressed()).containsExactly(other);
        }
    }

    /** An Error that keeps no suppressed exceptions: the other failures go to the loop's exception handler. */
    @Test
    void otherFailuresBesideAnErrorWithoutSuppressionGoToTheExceptionHandler() throws Exception {
        List<ExceptionContext> seen = new ArrayList<>();
        Error err = new Error("no suppression", null, false, false) {
        };
        IllegalStateException other = new IllegalStateException("other");
        try (EventLoop loop = virtualLoop()) {
            loop.setExceptionHandler((l, c) -> seen.add(c));
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> TaskGroup.run(g -> {
                g.spawn(() -> sleepThenThrow(Duration.ofMillis(100), err));
                g.spawn(() -> failWhenCancelled(other));
                return null;
            })));
            assertThat(thrown).isSameAs(err);
        }
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).exception()).isSameAs(other);
        assertThat(seen.get(0).message()).contains("TaskGroup").contains("Error propagates");
    }
}
