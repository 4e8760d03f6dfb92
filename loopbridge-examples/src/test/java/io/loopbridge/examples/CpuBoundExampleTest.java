package io.loopbridge.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuBoundExampleTest {
    @Test
    void cpuBoundWorkRunsOnTheForkJoinPoolNotOnTheLoop() throws Exception {
        Narrator n = new Narrator("test", false);
        CpuBoundExample.Outcome o = CpuBoundExample.run(n);

        assertThat(o.primesBelowLimit()).isEqualTo(17_984); // pi(200 000)
        assertThat(o.primesGathered()).isEqualTo(17_984);
        assertThat(n.lines()).filteredOn(l -> l.contains("counting primes"))
                .hasSize(5)
                .allSatisfy(l -> assertThat(l).startsWith("[thread ForkJoinPool-").contains("-worker-"));
        assertThat(n.lineWith("gathered from 4 chunks")).startsWith("[task ");
    }
}
