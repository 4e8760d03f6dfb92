package io.loopbridge;

/**
 * Which thread holds a loop's turn. FAST: the calling thread, a platform thread that carries
 * the tasks' virtual threads. PORTABLE: a virtual thread, so that every hand-off between the
 * loop and its tasks' virtual threads is a virtual-thread switch on one carrier, not an OS
 * wake-up; a platform caller waits for it and passes its interrupts on. Thread-safe (stateless).
 */
final class TurnThread {
    private TurnThread() {
    }

    /** The work of one turn, from entering it to leaving it; returns whether an interrupt arrived. */
    @FunctionalInterface
    interface Work {
        boolean run();
    }

    static boolean run(boolean onVirtualThread, java.util.function.Supplier<String> loopName, Work work) {
        if (!onVirtualThread || Thread.currentThread().isVirtual()) {
            return work.run();
        }
        boolean[] result = new boolean[1];
        Throwable[] failure = new Throwable[1];
        // Named after the calling thread: messages name the thread the user runs the loop from.
        Thread turn = Thread.ofVirtual().name(Thread.currentThread().getName()).unstarted(() -> {
            try {
                result[0] = work.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        turn.start();
        BriefSpin.until(() -> !turn.isAlive()); // a short turn (Bridge.runSync of a quick body) ends while we poll
        while (true) {
            try {
                turn.join();
                break;
            } catch (InterruptedException e) {
                turn.interrupt(); // the loop turns it into its own interrupt handling
            }
        }
        Throwable f = failure[0];
        if (f instanceof Error err) {
            throw err;
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f != null) {
            throw new IllegalStateException("event loop '" + loopName.get() + "' failed", f);
        }
        return result[0];
    }
}
