package io.loopbridge.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.Async;
import io.loopbridge.BlockingOnLoopException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A thread the application marks non-blocking through Reactor's public
 * Schedulers.registerNonBlockingThreadPredicate (where Reactor's own Mono.block() refuses) is
 * refused by the one rule too. The rule used to look only for Reactor's NonBlocking marker
 * interface, so Async.await blocked such a thread.
 */
class ReactorNonBlockingPredicateTest {

    @Test
    void aThreadReactorCallsNonBlockingIsRefusedToo() throws Exception {
        Schedulers.registerNonBlockingThreadPredicate(t -> t.getName().startsWith("app-nonblocking"));
        try {
            CompletableFuture<String> gate = new CompletableFuture<>();
            CompletableFuture<Throwable> reactorSays = new CompletableFuture<>();
            CompletableFuture<Boolean> reactorCallsItNonBlocking = new CompletableFuture<>();
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().name("app-nonblocking-1").start(() -> {
                reactorCallsItNonBlocking.complete(Schedulers.isInNonBlockingThread());
                try {
                    Mono.never().block(); // Reactor refuses this before waiting (never() starts no scheduler thread)
                    reactorSays.complete(null);
                } catch (Throwable e) {
                    reactorSays.complete(e);
                }
                try {
                    outcome.complete(Async.await(gate));
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            Object o;
            try {
                o = outcome.get(5, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                o = "blocked instead of refusing";
            } finally {
                gate.complete("opened");
                t.join();
            }
            assertThat(reactorCallsItNonBlocking.get()).as("Schedulers.isInNonBlockingThread() there").isTrue();
            assertThat(reactorSays.get()).as("Reactor's own verdict on Mono.block()").isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not supported in thread app-nonblocking-1");
            assertThat(o).isInstanceOf(BlockingOnLoopException.class);
        } finally {
            Schedulers.resetNonBlockingThreadPredicate();
        }
    }
}
