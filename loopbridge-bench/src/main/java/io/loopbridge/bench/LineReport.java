package io.loopbridge.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Prints a figure in the format of the Python baselines in bench/python,
 * {@code name: median unit (min=.. max=.. n=..)}, so that bench/report.py reads the output
 * of the benchmark main classes ({@link SuspendedTaskMemory}, {@link ResumeLatency}) the same
 * way as theirs. Names are {@code \w+} (no hyphens): report.py's pattern.
 */
final class LineReport {

    private LineReport() {
    }

    /** The median of {@code values}, as Python's statistics.median (mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }

    /** The p-th percentile of sorted samples, as b8_resume_latency.py's pct(). */
    static long percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (p / 100.0 * sorted.length))];
    }

    /** The median of sorted samples, as Python's statistics.median. */
    static double median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /** Prints one line: the median of {@code values} over repeats, with their min and max. */
    static void report(String name, double[] values, String unit, int decimals) {
        if (!name.matches("\\w+")) {
            throw new IllegalArgumentException("report.py reads only \\w+ names: " + name);
        }
        double min = Arrays.stream(values).min().orElseThrow();
        double max = Arrays.stream(values).max().orElseThrow();
        String f = "%." + decimals + "f";
        System.out.printf(Locale.ROOT, "%s: " + f + " %s (min=" + f + " max=" + f + " n=%d)%n",
                name, median(values), unit, min, max, values.length);
        System.out.flush();
    }

    /** The iteration scale given to bench/run.sh as MAIN_SCALE (system property bench.scale), default 1. */
    static double scale() {
        double s = Double.parseDouble(System.getProperty("bench.scale", "1"));
        if (!(s > 0)) {
            throw new IllegalArgumentException("bench.scale must be positive: " + s);
        }
        return s;
    }
}
