package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventThreadExampleTest {
    @Test
    void submitCallDoneCallbackAndGracefulClose() throws Exception {
        Narrator n = new Narrator("test", false);
        EventThreadExample.Outcome o = EventThreadExample.run(n);

        assertThat(o.submitted()).isEqualTo(1234);
        assertThat(o.called()).isEqualTo(42);
        assertThat(o.lateTask()).isEqualTo("cancelled");
        assertThat(o.doneCallbackRan()).isTrue();
        assertThat(o.closed()).isTrue();

        List<String> lines = n.lines();
        String main = "[thread " + Thread.currentThread().getName() + "]";
        // the Python version's output, in its order
        assertThat(lines).filteredOn(l -> l.contains("Main thread") || l.contains("Hello from event loop"))
                .extracting(l -> l.substring(l.indexOf("] ") + 2))
                .containsExactly("Main thread waiting on coroutine...", "Hello from event loop!", "Main thread received: 1234");
        assertThat(n.lineWith("Main thread waiting")).startsWith(main);
        assertThat(n.lineWith("Hello from event loop!")).startsWith("[task ").contains("on loop event-thread");
        assertThat(n.lineWith("call() runs this body")).contains("on loop event-thread");
        assertThat(n.lineWith("late task cancelled")).contains("on loop event-thread");
        // the done callback is the event thread's last act, after the loop stopped and closed
        assertThat(n.lineWith("Event loop stopped")).startsWith("[thread event-thread]");
        assertThat(lines.indexOf(n.lineWith("late task cancelled"))).isLessThan(lines.indexOf(n.lineWith("Event loop stopped")));
        assertThat(lines.get(lines.size() - 1)).startsWith(main).contains("event thread closed: true; late task: cancelled");
    }
}
