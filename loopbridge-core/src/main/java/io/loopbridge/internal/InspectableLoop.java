package io.loopbridge.internal;

import java.util.List;

/**
 * What a test harness may ask of a loop beyond its public API: the tasks it has not finished
 * (asyncio's {@code all_tasks()}), to say which ones a test left behind and where each is
 * suspended. Implemented by the library's event loop; registered in {@link OpenLoops}.
 *
 * <p>Confined to the loop: call it on the loop's turn (a callback or task of the loop), or
 * while no thread runs the loop.
 */
public interface InspectableLoop {

    /** The loop's unfinished tasks (each an {@code io.loopbridge.Task}), a snapshot. */
    List<?> unfinishedTasks();
}
