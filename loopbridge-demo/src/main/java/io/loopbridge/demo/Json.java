package io.loopbridge.demo;

import java.util.Collection;

/** A tiny JSON object writer: enough for the demo's answers, no dependency. */
final class Json {
    private final StringBuilder sb = new StringBuilder(256).append('{');
    private boolean first = true;

    private StringBuilder key(String k) {
        if (!first) {
            sb.append(',');
        }
        first = false;
        return quote(sb, k).append(':');
    }

    Json put(String k, String v) {
        StringBuilder s = key(k);
        if (v == null) {
            s.append("null");
        } else {
            quote(s, v);
        }
        return this;
    }

    Json put(String k, long v) {
        key(k).append(v);
        return this;
    }

    Json put(String k, double v) {
        key(k).append(Double.isFinite(v) ? Double.toString(v) : "null");
        return this;
    }

    Json put(String k, boolean v) {
        key(k).append(v);
        return this;
    }

    /** {@code v} is already JSON (an object or array written by this class). */
    Json putRaw(String k, String v) {
        key(k).append(v);
        return this;
    }

    String end() {
        return sb.append('}').toString();
    }

    static String array(Collection<String> rawItems) {
        return "[" + String.join(",", rawItems) + "]";
    }

    static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }
}
