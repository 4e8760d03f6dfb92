package io.loopbridge;

/** A child JVM's main for {@link TaskModeLaunchersTest}: prints the task mode a default loop gets. */
public final class PrintTaskMode {
    private PrintTaskMode() {
    }

    public static void main(String[] args) {
        try (EventLoop loop = EventLoop.create()) {
            System.out.println("mode=" + loop.taskMode());
        }
    }
}
