package io.loopbridge.asyncio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.Async;
import io.loopbridge.ContextVar;
import io.loopbridge.Task;
import io.loopbridge.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CPython 3.13 Lib/test/test_asyncio/test_threads.py, case by case: {@code asyncio.to_thread}
 * is {@link Threads#toThread}; loopbridge also offers {@link Async#toThread} under the same
 * name, so every case runs against both entry points (one parameter each). The
 * IsolatedAsyncioTestCase loop is a virtual-time loop ({@link AsyncioCase#runInVirtualTime});
 * the work crosses to a worker thread and back without timers.
 *
 * <p>Left out, no Java meaning:
 * <ul>
 *   <li>test_to_thread_args_kwargs: to_thread passing positional and keyword arguments to the
 *       function; a Java lambda captures its arguments, there is nothing to pass.</li>
 * </ul>
 */
class TestThreads {

    /** The two public spellings of asyncio.to_thread. */
    enum ToThread {
        THREADS_TO_THREAD {
            @Override
            <T> T call(Callable<T> work) throws Exception {
                return Threads.toThread(work);
            }
        },
        ASYNC_TO_THREAD {
            @Override
            <T> T call(Callable<T> work) throws Exception {
                return Async.toThread(work);
            }
        };

        abstract <T> T call(Callable<T> work) throws Exception;
    }

    /** to_thread returns the function's result (sum([40, 2])). */
    @ParameterizedTest
    @EnumSource(ToThread.class)
    void test_to_thread(ToThread toThread) throws Exception {
        int result = AsyncioCase.runInVirtualTime(() -> toThread.call(() -> List.of(40, 2).stream()
                .mapToInt(Integer::intValue).sum()));
        assertThat(result).isEqualTo(42);
    }

    /** to_thread raises what the function raised (RuntimeError("test")), unwrapped. */
    @ParameterizedTest
    @EnumSource(ToThread.class)
    void test_to_thread_exception(ToThread toThread) throws Exception {
        Throwable thrown = AsyncioCase.runInVirtualTime(() -> catchThrowable(() -> toThread.call(() -> {
            throw new RuntimeException("test");
        })));
        assertThat(thrown).isInstanceOf(RuntimeException.class).hasMessage("test");
    }

    /** to_thread calls the function exactly once. */
    @ParameterizedTest
    @EnumSource(ToThread.class)
    void test_to_thread_once(ToThread toThread) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AsyncioCase.runInVirtualTime(() -> toThread.call(calls::incrementAndGet));
        assertThat(calls).hasValue(1);
    }

    /**
     * Ten to_thread calls gathered together each run the function once. The original gathers
     * ten coroutines (gather wraps each in a task); here each call runs in its own task.
     */
    @ParameterizedTest
    @EnumSource(ToThread.class)
    void test_to_thread_concurrent(ToThread toThread) throws Exception {
        ConcurrentLinkedQueue<Integer> calls = new ConcurrentLinkedQueue<>();
        AsyncioCase.runInVirtualTime(() -> {
            List<Task<Boolean>> futs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                futs.add(Async.spawn(() -> toThread.call(() -> calls.add(1))));
            }
            return Async.await(Async.gather(futs));
        });
        assertThat(calls.stream().mapToInt(Integer::intValue).sum()).isEqualTo(10);
    }

    /** The function sees the ContextVar values of the task that called to_thread. */
    @ParameterizedTest
    @EnumSource(ToThread.class)
    void test_to_thread_contextvars(ToThread toThread) throws Exception {
        ContextVar<String> testCtx = ContextVar.of("test_ctx");
        String result = AsyncioCase.runInVirtualTime(() -> {
            testCtx.set("parrot");
            return toThread.call(testCtx::get);
        });
        assertThat(result).isEqualTo("parrot");
    }
}
