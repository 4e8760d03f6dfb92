package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.test.CheckOpenSockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of malformed, truncated and oversized requests and a slowloris, while a good client
 * keeps calling: every bad one gets its status or is closed, the good client is served
 * throughout, and closing the service leaves no thread and no socket behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoBadInputTest {
    private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.1 (\\d{3}) ");
    private static final String GOOD = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n";
    /** What a bad request may be answered with (a mutated request may still be a valid one: 200/404/405). */
    private static final Set<Integer> ALLOWED = Set.of(200, 400, 404, 405, 408, 413, 431, 501, 505);

    /** What one raw exchange ended with: the status codes, in order, and how the connection ended. */
    record Outcome(List<Integer> statuses, String end) {
    }

    /** Writes {@code request} (then half-closes if asked), reads until the server closes. */
    static Outcome exchange(int port, byte[] request, boolean shutdownOutput) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
                if (shutdownOutput) {
                    s.shutdownOutput();
                }
            } catch (SocketException e) {
                // The server answered and closed before we finished sending (e.g. 413 or 431): read the answer.
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            String end = "eof";
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                end = "timeout";                 // the server neither answered nor closed: a failure
            } catch (SocketException e) {
                end = "reset";
            }
            return new Outcome(statuses(got.toString(StandardCharsets.ISO_8859_1)), end);
        }
    }

    static List<Integer> statuses(String all) {
        List<Integer> out = new ArrayList<>();
        int i = 0;
        while (i < all.length()) {
            Matcher m = STATUS.matcher(all.substring(i, Math.min(all.length(), i + 16)));
            if (!m.find()) {
                break;
            }
            out.add(Integer.parseInt(m.group(1)));
            int headEnd = all.indexOf("\r\n\r\n", i);
            if (headEnd < 0) {
                break;
            }
            Matcher cl = Pattern.compile("(?i)content-length: (\\d+)").matcher(all.substring(i, headEnd));
            int len = cl.find() ? Integer.parseInt(cl.group(1)) : 0;
            i = headEnd + 4 + len;
        }
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** One bad request of kind {@code k}; returns the statuses it may get (empty: closed without an answer is fine). */
    static void badRequest(int port, Random rnd, Map<String, AtomicInteger> tally) throws IOException {
        int kind = rnd.nextInt(8);
        Outcome o;
        switch (kind) {
            case 0 -> {                                                   // random bytes
                byte[] junk = new byte[1 + rnd.nextInt(2000)];
                rnd.nextBytes(junk);
                o = exchange(port, junk, true);
                assertThat(o.statuses()).allSatisfy(st -> assertThat(ALLOWED).contains(st));
            }
            case 1 -> {                                                   // truncated good request
                byte[] full = ascii(GOOD);
                byte[] cut = java.util.Arrays.copyOf(full, 1 + rnd.nextInt(full.length - 2));
                o = exchange(port, cut, true);
                assertThat(o.statuses()).containsExactly(400);
            }
            case 2 -> {                                                   // one byte mutated
                byte[] req = ascii(GOOD);
                req[rnd.nextInt(req.length)] = (byte) rnd.nextInt(256);
                o = exchange(port, req, true);
                assertThat(o.statuses()).allSatisfy(st -> assertThat(ALLOWED).contains(st));
            }
            case 3 -> {                                                   // header section over 16 KiB
                o = exchange(port, ascii("GET /stats HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(17_000) + "\r\n\r\n"), false);
                assertThat(o.statuses()).containsExactly(431);
            }
            case 4 -> {                                                   // body over the limit
                o = exchange(port, ascii("POST /db HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n" + "x".repeat(1000)), false);
                assertThat(o.statuses()).containsExactly(413);
            }
            case 5 -> {                                                   // framing the server must refuse
                String[][] cases = {
                        {"GET /stats HTTP/1.1\r\nHost: t\r\nContent-Length: 12x\r\n\r\n", "400"},
                        {"POST /db HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", "400"},
                        {"POST /db HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "501"},
                        {"GET /stats HTTP/2.0\r\nHost: t\r\n\r\n", "505"},
                        {"GET /stats HTTP/1.1\r\n\r\n", "400"},
                        {"GET /stats HTTP/1.1\nHost: t\r\n\r\n", "400"},
                        {"GET /stats HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", "400"},
                        {"GET /stats HTTP/1.1\r\nHost : t\r\n\r\n", "400"},
                        {"GET http://evil/ HTTP/1.1\r\nHost: t\r\n\r\n", "400"},
                        {"BREW /stats HTTP/1.1\r\nHost: t\r\n\r\n", "501"},
                        {"GET /stats HTTP/1.1\r\nHost: t\r\nX: a\u0000b\r\n\r\n", "400"},
                        {"GET /db?id=%zz HTTP/1.1\r\nHost: t\r\n\r\n", "400"},
                };
                String[] c = cases[rnd.nextInt(cases.length)];
                o = exchange(port, ascii(c[0]), false);
                assertThat(o.statuses()).as(c[0]).first().isEqualTo(Integer.parseInt(c[1]));
            }
            case 6 -> {                                                   // a good request, then garbage on the same connection
                o = exchange(port, ascii(GOOD + "\u0001\u0002garbage\r\n\r\n"), false);
                assertThat(o.statuses()).containsExactly(200, 400);
            }
            default -> {                                                  // many pipelined good requests, then close
                int n = 1 + rnd.nextInt(20);
                o = exchange(port, ascii(GOOD.repeat(n - 1) + "GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), false);
                assertThat(o.statuses()).hasSize(n).containsOnly(200);
            }
        }
        assertThat(o.end()).as("kind %d", kind).isNotEqualTo("timeout");
        tally.computeIfAbsent(kind + ":" + o.end(), x -> new AtomicInteger()).incrementAndGet();
    }

    @Test
    @CheckOpenSockets
    void badClientsGetTheirStatusWhileGoodOnesAreServedAndNothingLeaks() throws Exception {
        DemoService service = DemoService.start(DemoConfig.defaults().withPort(0).withDb("mem")
                .withHeaderTimeout(Duration.ofMillis(500)));
        int port = service.port();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong goodOk = new AtomicLong();
        AtomicLong goodMaxMs = new AtomicLong();
        Map<String, AtomicInteger> tally = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (HttpClient good = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Future<?> goodClient = pool.submit(() -> {
                HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/async?seconds=0"))
                        .timeout(Duration.ofSeconds(10)).build();
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = good.send(req, HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(200);
                    goodMaxMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    goodOk.incrementAndGet();
                }
                return null;
            });
            // Slowloris: 20 clients trickling a request head, one byte every 100 ms.
            List<Future<Long>> slow = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                slow.add(pool.submit(() -> slowloris(port)));
            }
            List<Future<?>> bad = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                long seed = 42 + w;
                bad.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 1000; i++) {
                        badRequest(port, rnd, tally);
                    }
                    return null;
                }));
            }
            for (Future<?> f : bad) {
                f.get();
            }
            for (Future<Long> f : slow) {
                // Cut off after the 500 ms header timeout, not left hanging for the 10 s read timeout.
                assertThat(f.get()).isBetween(400L, 5_000L);
            }
            stop.set(true);
            goodClient.get();
            // The good client was served all along, without a stall.
            assertThat(goodOk.get()).isGreaterThan(50);
            assertThat(goodMaxMs.get()).isLessThan(3_000);
            System.out.println("bad-input outcomes (kind:end -> count): " + new java.util.TreeMap<>(tally)
                    + "; good requests " + goodOk + ", slowest " + goodMaxMs + " ms");
        } finally {
            stop.set(true);
            pool.shutdownNow();
            assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            service.close();
        }
        assertThat(tally.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(3000);
    }

    /** Sends a request head one byte per 100 ms; returns how long until the server answered 408 and closed. */
    static Long slowloris(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            long t0 = System.nanoTime();
            byte[] head = ascii("GET /stats HTTP/1.1\r\nHost: t\r\nX-Slow: " + "z".repeat(200));
            try {
                for (byte b : head) {
                    out.write(b);
                    out.flush();
                    if (s.getInputStream().available() > 0) {
                        break;                                   // the server has answered
                    }
                    Thread.sleep(100);                           // the client's own pace, not a wait for the server
                }
            } catch (SocketException e) {
                // Closed by the server while we trickled: read what it said.
            }
            byte[] answer = s.getInputStream().readAllBytes();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(statuses(new String(answer, StandardCharsets.ISO_8859_1))).containsExactly(408);
            return ms;
        }
    }

    @Test
    @CheckOpenSockets
    void connectionsBeyondTheLimitGetA503AndTheRestAreServed() throws Exception {
        DemoService service = DemoService.start(DemoConfig.defaults().withPort(0).withDb("mem").withMaxConnections(10));
        int port = service.port();
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                idle.add(new Socket("127.0.0.1", port));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (service.openConnections() < 10) {
                assertThat(System.nanoTime()).as("10 connections accepted").isLessThan(deadline);
                Thread.onSpinWait();
            }
            Outcome refused = exchange(port, ascii(GOOD), false);
            assertThat(refused.statuses()).containsExactly(503);
            assertThat(refused.end()).isEqualTo("eof");
            // One of the ten leaves: there is room again.
            idle.remove(0).close();
            while (service.openConnections() > 9) {
                assertThat(System.nanoTime()).as("closed connection noticed").isLessThan(deadline);
                Thread.onSpinWait();
            }
            Outcome ok = exchange(port, ascii("GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), false);
            assertThat(ok.statuses()).containsExactly(200);
        } finally {
            for (Socket s : idle) {
                s.close();
            }
            service.close();
        }
    }
}
