package io.loopbridge.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An intrusive, unbounded, lock-free multi-producer single-consumer queue (Vyukov's
 * design): the elements are the nodes, so {@link #offer} allocates nothing.
 *
 * <p>Thread-safety: {@link #offer} may be called from any thread; {@link #poll} and
 * {@link #isEmpty} only from the single consumer thread. Each producer's elements come
 * out in the order that producer offered them.
 *
 * <p>A node may be offered at most once, ever.
 */
public final class MpscQueue<N extends MpscQueue.Node> {

    /** Base class of queued elements: carries the link. */
    public static class Node {
        volatile Node next;
    }

    private static final VarHandle NEXT;

    static {
        try {
            NEXT = MethodHandles.lookup().findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AtomicReference<Node> tail;
    /** Consumer-only: the last node taken (or the stub); its successor is the next element. */
    private Node head;

    public MpscQueue() {
        Node stub = new Node();
        head = stub;
        tail = new AtomicReference<>(stub);
    }

    /** Appends {@code node}; any thread. */
    public void offer(N node) {
        NEXT.set(node, (Node) null);
        Node prev = tail.getAndSet(node);
        // Between the swap and this store, the consumer sees the queue as empty. The producer
        // signals the consumer only after this store, so nothing is ever stranded.
        NEXT.setRelease(prev, node);
    }

    /** Takes the oldest linked element, or null; consumer thread only. */
    @SuppressWarnings("unchecked")
    public N poll() {
        Node next = (Node) NEXT.getAcquire(head);
        if (next == null) {
            return null;
        }
        // The old head becomes garbage; the returned node stays as the new stub until the next poll.
        head = next;
        return (N) next;
    }

    /**
     * True when nothing is queued, not even an element a producer is still linking; consumer
     * thread only. (A producer preempted between its swap and its link makes the queue look
     * empty to {@link #poll} while this says false: the consumer should yield, not sleep.)
     */
    public boolean isEmpty() {
        return NEXT.getAcquire(head) == null && tail.get() == head;
    }

    /** True when {@link #poll} would return null although a producer is mid-offer; consumer only. */
    public boolean isLinking() {
        return NEXT.getAcquire(head) == null && tail.get() != head;
    }
}
