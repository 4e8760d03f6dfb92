package io.loopbridge.test;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written as JUnit writes timeouts: {@code 10}, {@code 10 s}, {@code 500 ms}, {@code 2m}. */
final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(ns|μs|us|ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

    private Durations() {
    }

    /** Parses {@code text} (default unit: seconds). */
    static Duration parse(String what, String text) {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(what + " = '" + text + "' is not a duration; write e.g. '10 s', '500 ms' or '2 m'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        return Duration.of(n, switch (unit) {
            case "ns" -> ChronoUnit.NANOS;
            case "μs", "us" -> ChronoUnit.MICROS;
            case "ms" -> ChronoUnit.MILLIS;
            case "s" -> ChronoUnit.SECONDS;
            case "m" -> ChronoUnit.MINUTES;
            case "h" -> ChronoUnit.HOURS;
            default -> ChronoUnit.DAYS;
        });
    }
}
