package io.loopbridge.examples;

import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Prints an example's narrative, as the Python versions' logs do: every line says where the step ran
 * (a task of a loop, a loop thread outside any task, or a plain thread), and keeps the lines
 * so a test can check them. Thread-safe: workers, loops and tasks all write to it.
 */
public final class Narrator {
    private final String example;
    private final boolean print;
    private final List<String> lines = new ArrayList<>();

    /** A narrator that prints to standard output. */
    public Narrator(String example) {
        this(example, true);
    }

    /** A narrator that prints only when {@code print} is true (tests keep their output quiet this way, if they like). */
    public Narrator(String example, boolean print) {
        this.example = example;
        this.print = print;
        if (print) {
            System.out.println(example + ": task mode " + TaskMode.best()
                    + (TaskMode.best() == TaskMode.FAST ? "" : " (start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED for FAST)"));
        }
    }

    /** Records and prints {@code step} with where it ran; returns the line. */
    public String say(String step) {
        String line = "[" + where() + "] " + step;
        synchronized (lines) {
            lines.add(line);
        }
        if (print) {
            System.out.println(example + " " + line);
        }
        return line;
    }

    /** The lines said so far, in the order they were said. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The first line containing {@code text}, or null. */
    public String lineWith(String text) {
        for (String l : lines()) {
            if (l.contains(text)) {
                return l;
            }
        }
        return null;
    }

    /**
     * Where the calling code runs: "task T on loop L" inside a task, "loop L thread N" on a loop
     * thread outside any task (a callback), else "thread N" (a plain or worker thread).
     */
    public static String where() {
        Thread t = Thread.currentThread();
        Optional<Task<?>> task = Task.current();
        Optional<EventLoop> loop = EventLoop.running();
        if (task.isPresent()) {
            return "task " + task.get().name() + " on loop " + loop.map(EventLoop::name).orElse("?");
        }
        if (loop.isPresent()) {
            return "loop " + loop.get().name() + " thread " + t.getName();
        }
        return "thread " + t.getName();
    }
}
