package io.loopbridge.demo;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One parsed HTTP/1.x request head (and, once read, its body). Parsing is strict: anything
 * RFC 9112 does not allow is a 400, never a guess, because a lenient parser is how request
 * smuggling and confused framing start.
 */
final class HttpRequest {
    static final int MAX_HEADERS = 100;

    final String method;
    final String target;
    final String path;
    final String rawQuery;
    final boolean http10;
    /** Header names lower-cased, in arrival order. */
    final List<String[]> headers;
    final long contentLength;
    final boolean keepAlive;
    final boolean expectContinue;
    final String transferEncoding;
    byte[] body = new byte[0];
    private Map<String, String> query;

    private HttpRequest(String method, String target, boolean http10, List<String[]> headers) throws HttpException {
        this.method = method;
        this.target = target;
        int q = target.indexOf('?');
        this.path = q < 0 ? target : target.substring(0, q);
        this.rawQuery = q < 0 ? "" : target.substring(q + 1);
        this.http10 = http10;
        this.headers = headers;
        String host = null;
        String cl = null;
        String te = null;
        String connection = null;
        String expect = null;
        for (String[] h : headers) {
            switch (h[0]) {
                case "host" -> {
                    if (host != null) {
                        throw new HttpException(400, "more than one Host header");
                    }
                    host = h[1];
                }
                case "content-length" -> {
                    if (cl != null && !cl.equals(h[1])) {
                        throw new HttpException(400, "conflicting Content-Length headers");
                    }
                    cl = h[1];
                }
                case "transfer-encoding" -> te = te == null ? h[1] : te + ", " + h[1];
                case "connection" -> connection = connection == null ? h[1] : connection + ", " + h[1];
                case "expect" -> expect = h[1];
                default -> { }
            }
        }
        if (!http10 && host == null) {
            throw new HttpException(400, "HTTP/1.1 request without a Host header");
        }
        if (te != null && cl != null) {
            throw new HttpException(400, "both Transfer-Encoding and Content-Length");
        }
        this.transferEncoding = te;
        this.contentLength = cl == null ? 0 : parseLength(cl);
        boolean close = hasToken(connection, "close");
        this.keepAlive = http10 ? !close && hasToken(connection, "keep-alive") : !close;
        this.expectContinue = expect != null && expect.equalsIgnoreCase("100-continue");
    }

    private static long parseLength(String v) throws HttpException {
        if (v.isEmpty() || v.length() > 18) {
            throw new HttpException(400, "bad Content-Length: " + v);
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                throw new HttpException(400, "bad Content-Length: " + v);
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static boolean hasToken(String list, String token) {
        if (list == null) {
            return false;
        }
        for (String t : list.split(",")) {
            if (t.trim().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    /** The first value of header {@code name} (lower case), or null. */
    String header(String name) {
        for (String[] h : headers) {
            if (h[0].equals(name)) {
                return h[1];
            }
        }
        return null;
    }

    /** Query parameters, decoded (a malformed %-escape is a 400). */
    Map<String, String> query() throws HttpException {
        if (query == null) {
            Map<String, String> m = new LinkedHashMap<>();
            if (!rawQuery.isEmpty()) {
                for (String pair : rawQuery.split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    try {
                        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                        m.putIfAbsent(k, v);
                    } catch (IllegalArgumentException e) {
                        throw new HttpException(400, "malformed query string", false);
                    }
                }
            }
            query = m;
        }
        return query;
    }

    String param(String name) throws HttpException {
        return query().get(name);
    }

    double doubleParam(String name, double dflt, double min, double max) throws HttpException {
        String v = param(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new HttpException(400, name + " must be a number: " + v, false);
        }
        if (!(d >= min && d <= max)) {
            throw new HttpException(400, name + " must be between " + min + " and " + max + ": " + v, false);
        }
        return d;
    }

    long longParam(String name, long dflt, long min, long max) throws HttpException {
        String v = param(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new HttpException(400, name + " must be an integer: " + v, false);
        }
        if (n < min || n > max) {
            throw new HttpException(400, name + " must be between " + min + " and " + max + ": " + v, false);
        }
        return n;
    }

    // ------------------------------------------------------------------ parsing

    /**
     * Parses a request head: the bytes up to and including the blank line. Leading empty lines
     * (a stray CRLF after a previous body) are skipped, as RFC 9112 allows.
     */
    static HttpRequest parse(byte[] head) throws HttpException {
        int start = 0;
        int end = head.length - 2;                   // drop the final CRLF of the blank line
        while (start + 1 < end && head[start] == '\r' && head[start + 1] == '\n') {
            start += 2;
        }
        if (start >= end) {
            throw new HttpException(400, "empty request");
        }
        // Every line ends in CRLF; any other CR or LF, NUL or control character is malformed.
        int lineStart = start;
        int lineEnd = indexOfCrlf(head, lineStart, end);
        if (lineEnd < 0) {
            throw new HttpException(400, "malformed request line");
        }
        String[] rl = requestLine(head, lineStart, lineEnd);
        List<String[]> headers = new ArrayList<>(8);
        lineStart = lineEnd + 2;
        while (lineStart < end) {
            lineEnd = indexOfCrlf(head, lineStart, end);
            if (lineEnd < 0) {
                throw new HttpException(400, "malformed header line");
            }
            if (headers.size() == MAX_HEADERS) {
                throw new HttpException(431, "more than " + MAX_HEADERS + " header fields");
            }
            headers.add(headerLine(head, lineStart, lineEnd));
            lineStart = lineEnd + 2;
        }
        return new HttpRequest(rl[0], rl[1], rl[2].equals("HTTP/1.0"), headers);
    }

    private static int indexOfCrlf(byte[] b, int from, int end) throws HttpException {
        for (int i = from; i < end; i++) {
            byte c = b[i];
            if (c == '\r') {
                if (i + 1 < end + 2 && b[i + 1] == '\n') {
                    return i;
                }
                throw new HttpException(400, "bare CR in the request head");
            }
            if (c == '\n') {
                throw new HttpException(400, "bare LF in the request head");
            }
        }
        return -1;
    }

    private static String[] requestLine(byte[] b, int from, int to) throws HttpException {
        int sp1 = -1;
        for (int i = from; i < to; i++) {
            if (b[i] == ' ') {
                sp1 = i;
                break;
            }
            if (!isTchar(b[i])) {
                throw new HttpException(400, "malformed method");
            }
        }
        if (sp1 <= from) {
            throw new HttpException(400, "malformed request line");
        }
        int sp2 = -1;
        for (int i = sp1 + 1; i < to; i++) {
            byte c = b[i];
            if (c == ' ') {
                sp2 = i;
                break;
            }
            if (c < 0x21 || c > 0x7E) {
                throw new HttpException(400, "malformed request target");
            }
        }
        if (sp2 < 0 || sp2 == sp1 + 1) {
            throw new HttpException(400, "malformed request line");
        }
        String method = new String(b, from, sp1 - from, StandardCharsets.ISO_8859_1);
        String target = new String(b, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
        String version = new String(b, sp2 + 1, to - sp2 - 1, StandardCharsets.ISO_8859_1);
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            if (version.matches("HTTP/[0-9]\\.[0-9]")) {
                throw new HttpException(505, "HTTP version not supported: " + version);
            }
            throw new HttpException(400, "malformed HTTP version");
        }
        if (target.charAt(0) != '/') {
            throw new HttpException(400, "only origin-form request targets (/path?query) are served");
        }
        switch (method) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH" -> { }
            default -> throw new HttpException(501, "method not implemented: " + method);
        }
        return new String[] {method, target, version};
    }

    private static String[] headerLine(byte[] b, int from, int to) throws HttpException {
        int colon = -1;
        for (int i = from; i < to; i++) {
            if (b[i] == ':') {
                colon = i;
                break;
            }
            if (!isTchar(b[i])) {
                // Covers obs-fold (a line starting with SP/HTAB) and whitespace before the colon.
                throw new HttpException(400, "malformed header field name");
            }
        }
        if (colon <= from) {
            throw new HttpException(400, "malformed header line");
        }
        int vs = colon + 1;
        int ve = to;
        while (vs < ve && (b[vs] == ' ' || b[vs] == '\t')) {
            vs++;
        }
        while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
            ve--;
        }
        for (int i = vs; i < ve; i++) {
            int c = b[i] & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw new HttpException(400, "control character in a header value");
            }
        }
        String name = new String(b, from, colon - from, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        return new String[] {name, new String(b, vs, ve - vs, StandardCharsets.ISO_8859_1)};
    }

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private static boolean isTchar(byte c) {
        return c >= 0 && TCHAR[c];
    }
}
