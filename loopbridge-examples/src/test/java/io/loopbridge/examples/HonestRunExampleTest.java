package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HonestRunExampleTest {
    @Test
    void plainMainReusesAThreadLoopTaskRunsInlineCallbackIsRefused() throws Exception {
        Narrator n = new Narrator("test", false);
        HonestRunExample.Outcome o = HonestRunExample.run(n);

        // 1. plain main
        assertThat(o.plainFirst()).isEqualTo("first page");
        assertThat(o.plainSecond()).isEqualTo("second page");
        assertThat(o.sameLoopReused()).isTrue();
        assertThat(n.lineWith("fetched first")).startsWith("[task ").contains("on loop runSync-" + Thread.currentThread().getName());
        // 2. inside a task: inline, in the very task that called it
        assertThat(o.insideTask()).isEqualTo("inside page");
        String caller = n.lineWith("calling Bridge.runSync inside a task");
        String body = n.lineWith("fetched inside");
        assertThat(body.substring(0, body.indexOf(']'))).isEqualTo(caller.substring(0, caller.indexOf(']')));
        // 3. a loop callback: a clear refusal, and the opt-in last resort on a worker loop
        assertThat(o.callbackRefusal()).isNotBlank();
        assertThat(n.lineWith("refused in a loop callback")).startsWith("[loop ");
        assertThat(o.callbackInWorker()).isEqualTo("worker page");
        assertThat(n.lineWith("fetched worker")).startsWith("[task ");
    }
}
