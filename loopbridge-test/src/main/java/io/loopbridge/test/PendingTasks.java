package io.loopbridge.test;

import io.loopbridge.Task;
import java.util.List;

/** Where each unfinished task of a loop is: its name and its suspended stack, user frames only. */
final class PendingTasks {
    private PendingTasks() {
    }

    /** One entry per task, each on its own lines; frames of the library and the JDK left out. */
    static String describe(List<?> tasks) {
        StringBuilder sb = new StringBuilder();
        for (Object o : tasks) {
            sb.append("\n      ");
            if (!(o instanceof Task<?> t)) {
                sb.append(o);
                continue;
            }
            sb.append("task '").append(t.name()).append('\'');
            List<StackTraceElement> stack = t.stack();
            if (stack.isEmpty()) {
                sb.append(" (not started, or suspended in library code only)");
            } else {
                sb.append(" suspended at");
                for (StackTraceElement e : stack) {
                    if (isHarness(e)) {
                        break; // below the test method: JUnit and this kit calling it
                    }
                    sb.append("\n          ").append(e);
                }
            }
        }
        return sb.toString();
    }

    /** A frame of JUnit or of this kit (not of the kit's own tests). */
    static boolean isHarness(StackTraceElement e) {
        String c = e.getClassName();
        return c.startsWith("org.junit.") || c.startsWith(PendingTasks.class.getPackageName() + ".")
                && !c.matches(".*Tests?(\\$.*)?$");
    }
}
