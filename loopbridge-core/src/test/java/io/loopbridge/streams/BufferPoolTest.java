package io.loopbridge.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.EventLoop;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void lendsAtMostItsBoundThenNullAndReusesWhatComesBack() {
        BufferPool pool = new BufferPool(3);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteBuffer b = pool.take();
            assertThat(b.isDirect()).isTrue();
            assertThat(b.capacity()).isEqualTo(BufferPool.BUFFER_SIZE);
            assertThat(b.position()).isZero();
            assertThat(b.limit()).isEqualTo(b.capacity());
            out.add(b);
        }
        assertThat(pool.canLend()).isFalse();
        assertThat(pool.take()).isNull();
        assertThat(pool.outstanding()).isEqualTo(3);
        ByteBuffer first = out.get(0);
        first.put(new byte[100]).flip();
        pool.give(first);
        assertThat(pool.outstanding()).isEqualTo(2);
        ByteBuffer again = pool.take();
        assertThat(again).isSameAs(first);
        assertThat(again.position()).isZero();
        assertThat(again.limit()).isEqualTo(again.capacity());
        pool.give(again);
        pool.give(out.get(1));
        pool.give(out.get(2));
        assertThat(pool.outstanding()).isZero();
        assertThatThrownBy(() -> pool.give(out.get(2))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> pool.give(ByteBuffer.allocate(BufferPool.BUFFER_SIZE)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a buffer lent by this pool");
        // The staging buffer is the pool's own, never lent.
        assertThat(pool.staging()).isSameAs(pool.staging());
        assertThat(pool.outstanding()).isZero();
    }

    @Test
    void eachLoopHasOnePoolWhicheverThreadsAskFirst() throws Exception {
        int loops = 8;
        int threads = 8;
        List<EventLoop> all = new ArrayList<>();
        for (int i = 0; i < loops; i++) {
            all.add(EventLoop.create());
        }
        try {
            Set<BufferPool> seen = ConcurrentHashMap.newKeySet();
            List<BufferPool>[] perLoop = new List[loops];
            for (int i = 0; i < loops; i++) {
                perLoop[i] = java.util.Collections.synchronizedList(new ArrayList<>());
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    for (int rep = 0; rep < 1000; rep++) {
                        for (int i = 0; i < loops; i++) {
                            BufferPool p = BufferPool.of(all.get(i));
                            seen.add(p);
                            if (rep == 0) {
                                perLoop[i].add(p);
                            }
                        }
                    }
                }));
            }
            start.countDown();
            for (Thread t : ts) {
                t.join();
            }
            assertThat(seen).hasSize(loops);
            for (List<BufferPool> l : perLoop) {
                assertThat(l).hasSize(threads);
                assertThat(Set.copyOf(l)).hasSize(1);
            }
        } finally {
            for (EventLoop l : all) {
                l.close();
            }
        }
    }
}
