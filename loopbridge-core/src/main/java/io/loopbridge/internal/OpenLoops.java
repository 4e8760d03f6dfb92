package io.loopbridge.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The loops that are open now, for test harnesses that fail a test which left a loop open.
 * A loop registers itself when it is built and leaves when it is closed; nothing else of the
 * loop's work passes here.
 *
 * <p>Off until a harness calls {@link #track()}: until then a loop's constructor and close
 * pay one volatile read. Loops are held weakly (a forgotten loop that was collected is no
 * longer open in any sense that matters).
 *
 * <p>This class is thread-safe.
 */
public final class OpenLoops {
    /** A loop, and whether it is kept open on purpose for its thread's lifetime. */
    private static final Map<InspectableLoop, Boolean> OPEN = new WeakHashMap<>();
    private static volatile boolean tracking;

    private OpenLoops() {
    }

    /** Starts tracking loops built from now on. Idempotent. */
    public static void track() {
        tracking = true;
    }

    /** A loop was built. */
    public static void opened(InspectableLoop loop) {
        if (tracking) {
            synchronized (OPEN) {
                OPEN.put(loop, Boolean.FALSE);
            }
        }
    }

    /**
     * The loop stays open for as long as its thread lives, by design (a loop cached for a
     * thread, closed when the thread ends): not a loop a test forgot to close.
     */
    public static void keptForItsThread(InspectableLoop loop) {
        if (tracking) {
            synchronized (OPEN) {
                OPEN.replace(loop, Boolean.TRUE);
            }
        }
    }

    /** A loop was closed. */
    public static void closed(InspectableLoop loop) {
        if (tracking) {
            synchronized (OPEN) {
                OPEN.remove(loop);
            }
        }
    }

    /** The loops open now that nobody keeps open on purpose (empty unless {@link #track()} was called). */
    public static List<InspectableLoop> open() {
        synchronized (OPEN) {
            List<InspectableLoop> out = new ArrayList<>();
            OPEN.forEach((loop, kept) -> {
                if (!kept) {
                    out.add(loop);
                }
            });
            return out;
        }
    }
}
