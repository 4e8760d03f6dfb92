package io.loopbridge.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the machine charges for a hand-off between threads right now, printed with each set's
 * table by {@code bench/run.sh} before and after its JMH run. On a small virtual machine the
 * cost of a hand-off between two vCPUs changes over minutes and from one JVM to the next
 * (presumably as they share a physical core or not), and the figures that cross threads
 * (a PORTABLE task step, a {@code runSync}, a cross-thread completion) settle on levels as
 * far apart. It records the conditions around a run; it does not predict one fork's level.
 * Two figures, no library code:
 * <ul>
 *   <li>two platform threads passing a counter back and forth by spinning on volatile fields:
 *       the round trip's median (about 90 or about 400 ns on the machine of the README's figures);</li>
 *   <li>starting a virtual thread whose body sets a flag, and spinning until it is set: the
 *       least a PORTABLE hand-off from a plain thread can cost (it includes waking a carrier
 *       of the JDK's scheduler when one sleeps).</li>
 * </ul>
 * Not a benchmark: one short sample (well under a second) per call, medians and 90th
 * percentiles only. Single-threaded entry point.
 */
public final class MachineProbe {
    private static final int ROUND_TRIPS = 200_000;
    private static final int STARTS = 20_000;

    private static volatile long ping;
    private static volatile long pong;

    private MachineProbe() { }

    public static void main(String[] args) throws InterruptedException {
        String when = args.length > 0 ? args[0] : "now";
        long[] pingPong = pingPong();
        long[] starts = virtualStarts();
        System.out.printf("machine probe (%s): platform-thread spin ping-pong round trip p50 %d ns, p90 %d ns;"
                + " virtual thread start + spin p50 %d ns, p90 %d ns%n",
                when, pingPong[0], pingPong[1], starts[0], starts[1]);
    }

    /** Median and 90th percentile of a spin ping-pong round trip between two platform threads. */
    private static long[] pingPong() throws InterruptedException {
        ping = 0;
        pong = 0;
        Thread echo = Thread.ofPlatform().name("probe-echo").start(() -> {
            long seen = 0;
            while (seen < ROUND_TRIPS) {
                long p;
                while ((p = ping) == seen) {
                    Thread.onSpinWait();
                }
                seen = p;
                pong = p;
            }
        });
        long[] rt = new long[ROUND_TRIPS];
        for (int i = 1; i <= ROUND_TRIPS; i++) {
            long t0 = System.nanoTime();
            ping = i;
            while (pong != i) {
                Thread.onSpinWait();
            }
            rt[i - 1] = System.nanoTime() - t0;
        }
        echo.join();
        return percentiles(rt);
    }

    /** Median and 90th percentile of starting a trivial virtual thread and spinning until it ran. */
    private static long[] virtualStarts() {
        long[] t = new long[STARTS];
        for (int i = 0; i < STARTS; i++) {
            AtomicBoolean ran = new AtomicBoolean();
            long t0 = System.nanoTime();
            Thread.ofVirtual().start(() -> ran.set(true));
            while (!ran.get()) {
                Thread.onSpinWait();
            }
            t[i] = System.nanoTime() - t0;
        }
        return percentiles(t);
    }

    private static long[] percentiles(long[] samples) {
        Arrays.sort(samples);
        return new long[] {samples[samples.length / 2], samples[samples.length * 9 / 10]};
    }
}
