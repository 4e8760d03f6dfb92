package io.loopbridge.demo;

import io.loopbridge.EventLoop;
import java.util.ArrayList;
import java.util.List;

/**
 * The "which thread ran this step" log of one request, as the Python version prints it. Steps are added
 * from the loop and from worker threads (one at a time, each hop ordered by the future that
 * carried it), so the list is guarded anyway.
 *
 * <p>A step inside a task of the demo's loop is reported under the loop thread's name: in the
 * FAST task mode a task is a virtual thread whose carrier <em>is</em> that thread; in the
 * PORTABLE mode it is a virtual thread holding the loop's baton. {@code inLoop} is the
 * library's own answer ({@link EventLoop#inLoop()}), and {@code runningLoop} is what
 * {@link EventLoop#running()} sees in that thread.
 */
final class Steps {
    private final EventLoop loop;
    private final String loopThreadName;
    private final List<String> items = new ArrayList<>();
    private final long t0 = System.nanoTime();

    Steps(EventLoop loop, String loopThreadName) {
        this.loop = loop;
        this.loopThreadName = loopThreadName;
    }

    /** Records {@code what} with the current thread; returns that thread's name. */
    String add(String what) {
        boolean inLoop = loop.inLoop();
        Thread t = Thread.currentThread();
        String thread = inLoop ? loopThreadName : t.getName();
        String running = EventLoop.running().map(EventLoop::name).orElse(null);
        String item = new Json().put("step", what).put("thread", thread).put("inLoop", inLoop)
                .put("virtual", t.isVirtual()).put("runningLoop", running)
                .put("atMs", Math.round((System.nanoTime() - t0) / 1e4) / 100.0).end();
        synchronized (items) {
            items.add(item);
        }
        return thread;
    }

    String json() {
        synchronized (items) {
            return Json.array(items);
        }
    }
}
