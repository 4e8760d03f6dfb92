package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SyncFacadeTest {

    public interface Accounts {
        long balance(String id) throws IOException;

        void deposit(String id, long amount);

        default String describe(String id) throws IOException {
            return id + "=" + balance(id);
        }
    }

    /** The async implementation: every call really awaits (sleeps on the loop when it has one). */
    public static final class AsyncAccounts {
        final AtomicInteger calls = new AtomicInteger();

        public CompletionStage<Long> balance(String id) {
            calls.incrementAndGet();
            if (id.equals("missing")) {
                return CompletableFuture.failedFuture(new IOException("no account " + id));
            }
            return CompletableFuture.supplyAsync(() -> (long) id.length());
        }

        public CompletableFuture<Void> deposit(String id, long amount) {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }

        public CompletableFuture<Long> slow(String id) {
            return new CompletableFuture<>();
        }
    }

    @Test
    void callsFromAPlainThreadAndFromATask() throws Exception {
        AsyncAccounts impl = new AsyncAccounts();
        Accounts accounts = SyncFacade.of(Accounts.class, impl);
        assertThat(accounts.balance("abc")).isEqualTo(3);
        accounts.deposit("abc", 5);
        assertThat(accounts.describe("ab")).isEqualTo("ab=2");
        try (EventLoop loop = EventLoop.create()) {
            assertThat(loop.runUntilComplete(() -> accounts.balance("abcd"))).isEqualTo(4);
        }
        assertThat(impl.calls).hasValue(4);
    }

    @Test
    void theOriginalExceptionComesOut() {
        Accounts accounts = SyncFacade.of(Accounts.class, new AsyncAccounts());
        assertThatThrownBy(() -> accounts.balance("missing")).isInstanceOf(IOException.class).hasMessage("no account missing");
    }

    public interface Slow {
        long slow(String id);
    }

    @Test
    void aDefaultTimeoutCancelsTheCall() {
        Slow s = SyncFacade.of(Slow.class, new AsyncAccounts(), Duration.ofMillis(20));
        assertThatThrownBy(() -> s.slow("x")).isInstanceOf(java.lang.reflect.UndeclaredThrowableException.class)
                .cause().isInstanceOf(TimeoutException.class);
    }

    public interface Missing {
        long withdraw(String id);
    }

    public interface Mismatched {
        String balance(String id);
    }

    @Test
    void aMissingOrMismatchedMethodFailsAtCreationNamingIt() {
        assertThatThrownBy(() -> SyncFacade.of(Missing.class, new AsyncAccounts()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("withdraw");
        assertThatThrownBy(() -> SyncFacade.of(Mismatched.class, new AsyncAccounts()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("balance").hasMessageContaining("Long");
    }

    /**
     * Python smartasync's bug: after one call from an async context, sync callers in other
     * threads got an un-run coroutine. Here a call from a task comes first, then eight threads
     * call at once, many times: every one gets a real result.
     */
    @Test
    void callsFromAsyncContextsNeverLeakIntoOtherThreads() throws Exception {
        AsyncAccounts impl = new AsyncAccounts();
        Accounts accounts = SyncFacade.of(Accounts.class, impl);
        try (EventLoop loop = EventLoop.create()) {
            assertThat(loop.runUntilComplete(() -> accounts.balance("task"))).isEqualTo(4);
        }
        int threads = 8;
        int calls = 500;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        AtomicInteger correct = new AtomicInteger();
        for (int i = 0; i < threads; i++) {
            String id = "x".repeat(i + 1);
            ts.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (int c = 0; c < calls; c++) {
                        if (accounts.balance(id) == id.length()) {
                            correct.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        go.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(correct).hasValue(threads * calls);
        assertThat(impl.calls).hasValue(threads * calls + 1);
    }

    // ------------------------------------------------------------------ AsyncFacade

    public interface AsyncStore {
        CompletionStage<String> load(String key);

        CompletableFuture<Void> save(String key, String value);

        LoopFuture<Integer> size();
    }

    public static final class BlockingStore {
        final java.util.Map<String, String> map = new java.util.concurrent.ConcurrentHashMap<>();

        public String load(String key) throws IOException {
            String v = map.get(key);
            if (v == null) {
                throw new IOException("no " + key);
            }
            return v + " on " + (Thread.currentThread().isVirtual() ? "worker" : "?");
        }

        public void save(String key, String value) {
            map.put(key, value);
        }

        public Integer size() {
            return map.size();
        }
    }

    @Test
    void anAsyncFacadeRunsTheBlockingImplementationOffTheLoop() throws Exception {
        AsyncStore store = AsyncFacade.of(AsyncStore.class, new BlockingStore());
        try (EventLoop loop = EventLoop.create()) {
            String r = loop.runUntilComplete(() -> {
                Async.await(store.save("k", "v"));
                int n = Async.await(store.size());
                return Async.await(store.load("k")) + " size " + n;
            });
            assertThat(r).isEqualTo("v on worker size 1");
            assertThatThrownBy(() -> loop.runUntilComplete(() -> Async.await(store.load("nope"))))
                    .isInstanceOf(IOException.class).hasMessage("no nope");
        }
        assertThat(Async.await(store.load("k"))).isEqualTo("v on worker");
        assertThatThrownBy(store::size).isInstanceOf(IllegalStateException.class).hasMessageContaining("LoopFuture");
    }

    // ---------------------------------------------------------------- found by review (each failed before)

    /** A sync interface that redeclares Object's methods to document them (as Comparator does for equals). */
    public interface Named {
        String name();

        @Override
        String toString();

        @Override
        boolean equals(Object o);

        @Override
        int hashCode();
    }

    public static final class AsyncNamed {
        public CompletionStage<String> name() {
            return CompletableFuture.completedFuture("n");
        }
    }

    public interface AsyncNamedApi {
        CompletionStage<String> name();

        @Override
        String toString();
    }

    public static final class BlockingNamed {
        public String name() {
            return "n";
        }
    }

    /** Both facades used to refuse such interfaces ("equals returns boolean, not a CompletionStage"). */
    @Test
    void interfacesRedeclaringObjectMethodsAreAccepted() throws Exception {
        Named n = SyncFacade.of(Named.class, new AsyncNamed());
        assertThat(n.name()).isEqualTo("n");
        assertThat(n).isEqualTo(n);
        assertThat(n.toString()).contains("Facade");
        AsyncNamedApi a = AsyncFacade.of(AsyncNamedApi.class, new BlockingNamed());
        assertThat(Async.await(a.name())).isEqualTo("n");
        assertThat(a.toString()).contains("Facade");
    }

    public interface SlowCall {
        long slow(String id) throws TimeoutException;
    }

    public static final class NeverDone {
        public CompletableFuture<Long> slow(String id) {
            return new CompletableFuture<>();
        }
    }

    public static final class Instant {
        public CompletableFuture<Long> slow(String id) {
            return CompletableFuture.completedFuture(7L);
        }
    }

    /** A negative timeout times out at once, as zero does; it used to mean "wait forever". */
    @Test
    void aNegativeTimeoutTimesOutAtOnce() {
        SlowCall s = SyncFacade.of(SlowCall.class, new NeverDone(), Duration.ofMillis(-1));
        assertThatThrownBy(() -> s.slow("x")).isInstanceOf(TimeoutException.class);
    }

    /**
     * A zero timeout gives a call whose stage is already complete its result, in a task as on a
     * plain thread (asyncio's wait_for(done, 0)); in a task it used to time out.
     */
    @Test
    void aZeroTimeoutGivesACompleteStageItsResultInATaskToo() throws Exception {
        SlowCall s = SyncFacade.of(SlowCall.class, new Instant(), Duration.ZERO);
        assertThat(s.slow("x")).isEqualTo(7L);
        try (EventLoop loop = EventLoop.create()) {
            assertThat(loop.runUntilComplete(() -> s.slow("x"))).isEqualTo(7L);
            assertThat(loop.runUntilComplete(() -> Async.waitFor(CompletableFuture.completedFuture("done"), Duration.ZERO)))
                    .isEqualTo("done");
        }
    }

    public interface SlowNoThrows {
        long slow(String id);
    }

    /**
     * An interrupt of a facade call whose method cannot declare InterruptedException reaches the
     * caller wrapped (the proxy's rule), with the thread's interrupt status set again; it was lost.
     */
    @Test
    void anInterruptWrappedAsUndeclaredKeepsTheInterruptStatus() throws Exception {
        SlowNoThrows s = SyncFacade.of(SlowNoThrows.class, new NeverDone());
        CompletableFuture<Object[]> out = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            Thread.currentThread().interrupt();
            try {
                s.slow("x");
                out.complete(new Object[] {null, Thread.currentThread().isInterrupted()});
            } catch (Throwable e) {
                out.complete(new Object[] {e, Thread.currentThread().isInterrupted()});
            }
        });
        Object[] r = out.get();
        assertThat((Throwable) r[0]).isInstanceOf(java.lang.reflect.UndeclaredThrowableException.class)
                .cause().isInstanceOf(InterruptedException.class);
        assertThat((Boolean) r[1]).as("interrupt status after the call").isTrue();
    }

    public static final class Pending {
        final CompletableFuture<Long> stage = new CompletableFuture<>();

        public CompletableFuture<Long> slow(String id) {
            return stage;
        }
    }

    /**
     * An interrupted facade call gives up its stage as a timed-out call does: the stage is
     * cancelled (it ran on unobserved before), as asyncio's runner cancels its main task on
     * an interrupt.
     */
    @Test
    void anInterruptedCallCancelsItsStage() throws Exception {
        Pending impl = new Pending();
        SlowNoThrows s = SyncFacade.of(SlowNoThrows.class, impl);
        CompletableFuture<Throwable> out = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            Thread.currentThread().interrupt();
            try {
                s.slow("x");
                out.complete(null);
            } catch (Throwable e) {
                out.complete(e);
            }
        });
        assertThat(out.get()).isInstanceOf(java.lang.reflect.UndeclaredThrowableException.class)
                .cause().isInstanceOf(InterruptedException.class);
        assertThat(impl.stage.isCancelled()).as("the stage the interrupted call waited for").isTrue();
    }

    public static final class FailsWithInterrupted {
        public CompletableFuture<Long> slow(String id) {
            return CompletableFuture.failedFuture(new InterruptedException("the stage's own failure"));
        }
    }

    /**
     * A stage that itself failed with InterruptedException is that failure, not an interrupt of
     * the calling thread: the thread's interrupt status stays clear (it used to be set, as if
     * somebody had interrupted the caller).
     */
    @Test
    void aStageFailingWithInterruptedExceptionDoesNotInterruptTheCaller() throws Exception {
        assertTheStagesOwnInterruptedExceptionLeavesTheCallerUninterrupted(
                SyncFacade.of(SlowNoThrows.class, new FailsWithInterrupted()));
    }

    /** Calls {@code s.slow} on a fresh thread: the stage's own InterruptedException comes out wrapped, the thread's status clear. */
    private static void assertTheStagesOwnInterruptedExceptionLeavesTheCallerUninterrupted(SlowNoThrows s) throws Exception {
        CompletableFuture<Object[]> out = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            Throwable thrown = null;
            try {
                s.slow("x");
            } catch (Throwable e) {
                thrown = e;
            }
            out.complete(new Object[] {thrown, Thread.interrupted()});
        });
        Object[] r = out.get();
        assertThat((Throwable) r[0]).isInstanceOf(java.lang.reflect.UndeclaredThrowableException.class)
                .cause().hasMessage("the stage's own failure");
        assertThat((Boolean) r[1]).as("nobody interrupted the calling thread").isFalse();
    }

    @SuppressWarnings("unchecked")
    static CompletionStage<Long> foreignStage(CompletableFuture<Long> cf) {
        return (CompletionStage<Long>) java.lang.reflect.Proxy.newProxyInstance(SyncFacadeTest.class.getClassLoader(),
                new Class<?>[] {CompletionStage.class}, (p, m, a) -> {
                    try {
                        return m.invoke(cf, a);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    public static final class ForeignFailsWithInterrupted {
        public CompletionStage<Long> slow(String id) {
            return foreignStage(CompletableFuture.failedFuture(new InterruptedException("the stage's own failure")));
        }
    }

    /** The same for a stage that is neither a LoopFuture nor a CompletableFuture. */
    @Test
    void aForeignStageFailingWithInterruptedExceptionDoesNotInterruptTheCaller() throws Exception {
        assertTheStagesOwnInterruptedExceptionLeavesTheCallerUninterrupted(
                SyncFacade.of(SlowNoThrows.class, new ForeignFailsWithInterrupted()));
    }

    public interface Repo<T> {
        void save(T item) throws Exception;

        T load(String id) throws Exception;
    }

    public interface StringRepo extends Repo<String> {
    }

    public static final class AsyncStringRepo {
        final List<String> saved = new ArrayList<>();

        public CompletionStage<Void> save(String item) {
            saved.add(item);
            return CompletableFuture.completedFuture(null);
        }

        public CompletionStage<String> load(String id) {
            return CompletableFuture.completedFuture("item " + id);
        }
    }

    /**
     * A sync interface that binds a generic super-interface's type variable (save(T) of
     * Repo<T> through StringRepo extends Repo<String>) finds save(String); the lookup used the
     * erased save(Object) and refused the implementation.
     */
    @Test
    void aGenericSuperInterfaceBoundBySubInterfaceIsMatched() throws Exception {
        AsyncStringRepo impl = new AsyncStringRepo();
        StringRepo r = SyncFacade.of(StringRepo.class, impl);
        r.save("x");
        assertThat(impl.saved).containsExactly("x");
        assertThat(r.load("7")).isEqualTo("item 7");
    }

    public interface AsyncRepo<T> {
        CompletionStage<T> load(T key);
    }

    public interface AsyncStringRepoApi extends AsyncRepo<String> {
    }

    public static final class BlockingStringRepo {
        public String load(String key) {
            return "blocking " + key;
        }
    }

    /** The same for AsyncFacade: load(T) of AsyncRepo<T>, bound to String, finds load(String). */
    @Test
    void anAsyncFacadeOverAGenericSuperInterfaceIsMatched() throws Exception {
        AsyncStringRepoApi r = AsyncFacade.of(AsyncStringRepoApi.class, new BlockingStringRepo());
        assertThat(Async.await(r.load("k"))).isEqualTo("blocking k");
    }
}
