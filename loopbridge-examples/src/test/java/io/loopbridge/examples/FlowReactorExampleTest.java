package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.CancelledException;
import org.junit.jupiter.api.Test;

class FlowReactorExampleTest {
    @Test
    void aFluxIsIteratedFromATaskAndAThreadAndReactorConsumesAGenerator() throws Exception {
        Narrator n = new Narrator("test", false);
        FlowReactorExample.Result r = FlowReactorExample.run(n);

        assertThat(r.takenInTask()).containsExactly(1, 4, 9, 16, 25, 36, 49);
        assertThat(n.lineWith("then left the loop early")).startsWith("[task ");
        assertThat(r.sumOnThread()).isEqualTo(5050);
        assertThat(n.lineWith("summed 1..100")).startsWith("[thread " + Thread.currentThread().getName() + "]");
        assertThat(r.caught()).hasMessage("connection reset");

        assertThat(r.takenByReactor()).containsExactly("row 1", "row 2", "row 3");
        assertThat(r.generatorEnd()).isInstanceOf(CancelledException.class);
        assertThat(n.lineWith("emitted row 1")).startsWith("[task ");
        assertThat(n.lineWith("emitted row 3")).isNotNull();
        assertThat(n.lineWith("emitted row 4")).as("take(3) requested three: no fourth row is emitted").isNull();
        assertThat(n.lineWith("generator cancelled")).startsWith("[task ");
    }
}
