package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import javax.management.ObjectName;

/**
 * Set "tasks": heap per suspended task. Counterpart of bench/python/b7_tasks.py's
 * {@code suspended_task_memory_*} lines (there: 100,000 tasks in {@code await ev.wait()}).
 *
 * <p>In one loop, creates N tasks that all await one {@link LoopFuture} (the gate), lets every
 * one of them run to its await and park, and measures heap used (after {@code System.gc()})
 * before creating them and while they are all parked: the difference over N is the cost of
 * one parked task (its {@code Task}, its virtual thread and frozen stack, its waiter on the
 * gate, its body, its slot in the array that holds it). Then completes the gate and checks
 * that every task finished.
 *
 * <p>Two sizes: N = 100,000 (b7's N), repeated {@code round(3 × bench.scale)} times (at least
 * once), and N = 1,000,000, measured once, which must fit in the heap bench/run.sh gives this
 * JVM ({@code -Xmx1g}): the goal is at most 1 KiB per parked task. Five warm-up rounds of
 * 20,000 tasks come first: until the JIT has compiled the await path, interpreted frames make
 * the frozen stacks of parked tasks several times bigger.
 *
 * <pre>
 * java -Xmx1g --add-opens java.base/java.lang=ALL-UNNAMED -cp loopbridge-bench.jar \
 *      io.loopbridge.bench.SuspendedTaskMemory FAST|PORTABLE [N ...]
 * </pre>
 * Prints {@code suspended_task_memory_fast_N100000: 812 bytes/task (min=.. max=.. n=3)} per N.
 * Tasks are created and parked in chunks of 10,000; when the heap is over 80 % full and the
 * tasks still to come would take it past 97 %, the round stops (rather than let an
 * OutOfMemoryError strike inside the loop) and prints, instead of the figure,
 * {@code # suspended_task_memory_fast_N1000000: DID NOT FIT: ...} with the figure measured so
 * far (bench/report.py shows "did not fit" in its row); the remaining sizes still run. That is
 * a goal missed, not a broken benchmark: the exit status stays 0. It is 1 if a task is lost or
 * anything else fails.
 * {@code -Dbench.histogram=20} prints the 20 biggest classes of the heap while the first
 * round of each size is parked.
 */
public final class SuspendedTaskMemory {

    static final int[] DEFAULT_SIZES = {100_000, 1_000_000};
    private static final int WARMUP_TASKS = 20_000;
    private static final int CHUNK = 10_000;
    private static final int WARMUP_ROUNDS = 5;
    /** Sizes from this one on are measured once (a round of a million parked tasks takes seconds to minutes). */
    private static final int BIG = 500_000;
    /** Above this fraction of the heap, check (with a full GC) whether the remaining tasks still fit. */
    private static final double FULL = 0.80;
    /** The round stops when the projected heap for all its tasks exceeds this fraction. */
    private static final double PROJECTED_LIMIT = 0.97;
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private SuspendedTaskMemory() {
    }

    /** A round that could not park all its tasks in the heap. */
    static final class HeapFull extends Exception {
        HeapFull(String message) {
            super(message, null, false, false);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SuspendedTaskMemory FAST|PORTABLE [N ...]   (run with -Xmx1g)");
            System.exit(2);
        }
        TaskMode mode = TaskMode.valueOf(args[0].toUpperCase(Locale.ROOT));
        int[] sizes = DEFAULT_SIZES;
        if (args.length > 1) {
            sizes = new int[args.length - 1];
            for (int i = 1; i < args.length; i++) {
                sizes[i - 1] = Integer.parseInt(args[i]);
            }
        }
        int repeats = Math.max(1, (int) Math.round(3 * LineReport.scale()));
        int histogram = Integer.getInteger("bench.histogram", 0);
        long maxHeap = Runtime.getRuntime().maxMemory();
        String prefix = "suspended_task_memory_" + mode.name().toLowerCase(Locale.ROOT) + "_N";
        System.out.printf(Locale.ROOT, "# %s tasks parked on one LoopFuture, %d rounds per size below 500,000, max heap %d MiB, %s%n",
                mode, repeats, maxHeap >> 20, Runtime.version());
        try (EventLoop loop = EventLoop.builder().name("memory-" + mode).taskMode(mode).build()) {
            if (loop.taskMode() != mode) {
                throw new IllegalStateException("asked for " + mode + " but the loop runs in " + loop.taskMode());
            }
            int[] sz = sizes;
            loop.runUntilComplete(() -> {
                // Until the await path is compiled, frames are interpreted and the frozen stacks
                // of parked tasks are several times bigger: warm up first.
                for (int w = 0; w < WARMUP_ROUNDS; w++) {
                    round(loop, WARMUP_TASKS, null, 0);
                }
                for (int n : sz) {
                    double[] perTask = new double[n >= BIG ? 1 : repeats];
                    try {
                        for (int r = 0; r < perTask.length; r++) {
                            perTask[r] = round(loop, n, "N=" + n + " round " + (r + 1), r == 0 ? histogram : 0);
                        }
                        LineReport.report(prefix + n, perTask, "bytes/task", 0);
                    } catch (HeapFull e) {
                        System.out.println("# " + prefix + n + ": DID NOT FIT: " + e.getMessage());
                    }
                }
                return null;
            });
        } catch (Exception | OutOfMemoryError e) {
            System.out.println("# " + prefix + "*: FAILED: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0);   // not just return: a JVM whose heap was nearly full should not linger
    }

    /** One round, run inside a task of {@code loop}: returns the heap per parked task in bytes. */
    private static double round(EventLoop loop, int n, String label, int histogram) throws Exception {
        LoopFuture<Void> gate = loop.createFuture();
        int[] parked = {0};
        int[] finished = {0};
        long maxHeap = Runtime.getRuntime().maxMemory();
        long before = heapUsed();
        Task<?>[] tasks = new Task<?>[n];
        HeapFull full = null;
        int created = 0;
        while (created < n) {
            int end = Math.min(n, created + CHUNK);
            for (; created < end; created++) {
                tasks[created] = loop.createTask(() -> {
                    parked[0]++;            // tasks of one loop run one at a time: no race
                    Async.await(gate);
                    finished[0]++;
                    return null;
                });
            }
            // Every task was scheduled before this task yields, so each runs to its await first.
            for (int spins = 0; parked[0] < created; spins++) {
                if (spins == 1000) {
                    throw new IllegalStateException("only " + parked[0] + "/" + created + " tasks reached their await");
                }
                Async.checkpoint();
            }
            if (created < n && created % (5 * CHUNK) == 0 && MEMORY.getHeapMemoryUsage().getUsed() > FULL * maxHeap) {
                // Nearly full: stop before an OutOfMemoryError strikes inside the loop, once the
                // tasks still to come clearly cannot fit.
                long used = heapUsed();
                double perTask = (double) (used - before) / created;
                double projected = used + perTask * (n - created);
                if (projected > PROJECTED_LIMIT * maxHeap) {
                    full = new HeapFull(String.format(Locale.ROOT,
                            "%d parked tasks do not fit in a %d MiB heap: %.1f MiB used with %d parked,"
                                    + " %.0f bytes/task so far (%d would need about %.0f MiB)",
                            n, maxHeap >> 20, used / 1048576.0, created, perTask, n, projected / 1048576.0));
                    break;
                }
            }
        }
        long during = full == null ? heapUsed() : 0;
        if (full == null && histogram > 0) {
            printHistogram(histogram);
        }
        for (int i = 0; i < created; i++) {
            if (tasks[i].isDone()) {
                throw new IllegalStateException("a task finished before its gate opened: " + tasks[i]);
            }
        }
        gate.complete(null);
        long t0 = System.nanoTime();
        for (int i = 0; i < created; i++) {
            Async.await(tasks[i]);
        }
        long resumeNanos = System.nanoTime() - t0;
        if (finished[0] != created) {
            throw new IllegalStateException("LOST TASKS: " + finished[0] + "/" + created + " finished after the gate opened");
        }
        if (full != null) {
            throw full;
        }
        double perTask = (double) (during - before) / n;
        if (label != null) {
            System.out.printf(Locale.ROOT, "# %s: heap %.1f MiB -> %.1f MiB with %d parked tasks: %.0f bytes/task;"
                            + " all %d finished, resumed in %.0f ms%n",
                    label, before / 1048576.0, during / 1048576.0, n, perTask, n, resumeNanos / 1e6);
        }
        return perTask;
    }

    private static long heapUsed() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** The {@code top} biggest classes of the live heap ({@code jcmd GC.class_histogram}). */
    private static void printHistogram(int top) {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[]{new String[0]}, new String[]{String[].class.getName()});
            String[] lines = out.toString().split("\n");
            for (int i = 0; i < Math.min(lines.length, top + 2); i++) {
                System.out.println("#   " + lines[i]);
            }
        } catch (Exception e) {
            System.out.println("# (no class histogram: " + e + ")");
        }
    }
}
