package io.loopbridge.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.test.CheckOpenSockets;
import io.loopbridge.test.CheckThreadsPerClass;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Starts the demo service, calls every endpoint with the JDK's HttpClient, checks where each step ran.
 * The tests share the service and the client (whose workers start lazily): threads are checked after the class.
 */
@CheckThreadsPerClass
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoEndToEndTest {
    private static final Pattern STEP = Pattern.compile(
            "\\{\"step\":\"((?:[^\"\\\\]|\\\\.)*)\",\"thread\":\"([^\"]*)\",\"inLoop\":(true|false),\"virtual\":(true|false),\"runningLoop\":(null|\"[^\"]*\")");
    static DemoService service;
    static HttpClient http;
    static String base;

    record Step(String what, String thread, boolean inLoop, String runningLoop) {
    }

    @BeforeAll
    static void start() throws Exception {
        service = DemoService.start(DemoConfig.defaults().withPort(0).withDb("mem"));
        base = "http://127.0.0.1:" + service.port();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.close();
        }
        if (service != null) {
            service.close();
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<Step> steps(String json) {
        List<Step> out = new ArrayList<>();
        Matcher m = STEP.matcher(json);
        while (m.find()) {
            out.add(new Step(m.group(1), m.group(2), Boolean.parseBoolean(m.group(3)), m.group(5)));
        }
        return out;
    }

    @Test
    void theLoopRunsTheExpectedTaskMode() {
        String expected = System.getProperty("loopbridge.expectedTaskMode");
        if (expected != null) {
            assertThat(service.loop().taskMode().name()).isEqualTo(expected);
        }
    }

    @Test
    void asyncRunsEveryStepOnTheLoop() throws Exception {
        HttpResponse<String> r = get("/async?seconds=0.05");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("application/json");
        List<Step> s = steps(r.body());
        assertThat(s).hasSize(2).allSatisfy(st -> {
            assertThat(st.thread()).isEqualTo(DemoService.LOOP_THREAD);
            assertThat(st.inLoop()).isTrue();
            assertThat(st.runningLoop()).isEqualTo("\"event-loop\"");
        });
    }

    @Test
    void syncRunsOnAWorkerNeverOnTheLoop() throws Exception {
        HttpResponse<String> r = get("/sync?seconds=0.05");
        assertThat(r.statusCode()).isEqualTo(200);
        List<Step> s = steps(r.body());
        assertThat(s).hasSize(2).allSatisfy(st -> {
            assertThat(st.thread()).matches("worker-\\d+");
            assertThat(st.inLoop()).isFalse();
            assertThat(st.runningLoop()).isEqualTo("null");
        });
    }

    @Test
    void syncWithAsyncHopsFromWorkerToLoopToWorkerAndBack() throws Exception {
        HttpResponse<String> r = get("/sync-with-async?seconds=0.05");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"result\":\"slept 0.05 s\"");
        List<Step> s = steps(r.body());
        assertThat(s).extracting(Step::what).containsExactly(
                "sync handler entered (dispatched to a worker by the framework)",
                "EventLoop.running() is empty here: no loop runs in this thread; using the loop stored at start-up",
                "stored loop 'event-loop' isRunning=true; scheduling toThread(blocking) on it with runCoroutineThreadsafe",
                "task started on the loop by runCoroutineThreadsafe",
                "blocking operation (Thread.sleep 0.05 s) in toThread",
                "toThread result back in the task on the loop",
                "future.get() returned in the sync handler");
        String handlerWorker = s.get(0).thread();
        assertThat(handlerWorker).matches("worker-\\d+");
        assertThat(s.get(1).thread()).isEqualTo(handlerWorker);
        assertThat(s.get(1).runningLoop()).isEqualTo("null");    // EventLoop.running() is empty on the worker
        assertThat(s.get(3).thread()).isEqualTo(DemoService.LOOP_THREAD);
        assertThat(s.get(3).inLoop()).isTrue();
        assertThat(s.get(4).thread()).matches("worker-\\d+").isNotEqualTo(handlerWorker);
        assertThat(s.get(4).inLoop()).isFalse();
        assertThat(s.get(5).thread()).isEqualTo(DemoService.LOOP_THREAD);
        assertThat(s.get(6).thread()).isEqualTo(handlerWorker);
    }

    @Test
    void dbQueriesAndInsertsOnAWorker() throws Exception {
        HttpResponse<String> one = get("/db?id=1");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).contains("hello from the embedded H2 database");
        assertDbPlacement(steps(one.body()));

        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/db"))
                .POST(HttpRequest.BodyPublishers.ofString("a note with \"quotes\" and ünïcode")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(201);
        assertDbPlacement(steps(posted.body()));
        Matcher id = Pattern.compile("\"id\":(\\d+)").matcher(posted.body());
        assertThat(id.find()).isTrue();
        HttpResponse<String> back = get("/db?id=" + id.group(1));
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(back.body()).contains("a note with \\\"quotes\\\" and ünïcode");

        assertThat(get("/db?id=999999").statusCode()).isEqualTo(404);
        assertThat(get("/db?id=abc").statusCode()).isEqualTo(400);
        assertThat(get("/db").body()).contains("\"notes\":[");
    }

    private static void assertDbPlacement(List<Step> s) {
        assertThat(s).hasSize(3);
        assertThat(s.get(0).thread()).isEqualTo(DemoService.LOOP_THREAD);
        assertThat(s.get(1).thread()).matches("worker-\\d+");
        assertThat(s.get(1).what()).startsWith("JDBC");
        assertThat(s.get(2).thread()).isEqualTo(DemoService.LOOP_THREAD);
    }

    @Test
    void fanoutCallsOverlap() throws Exception {
        get("/fanout?n=2&seconds=0");                          // warm the client's connections and classes
        long t0 = System.nanoTime();
        HttpResponse<String> r = get("/fanout?n=10&seconds=0.2");
        double tookMs = (System.nanoTime() - t0) / 1e6;
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"statuses\":[200,200,200,200,200,200,200,200,200,200]");
        Matcher m = Pattern.compile("\"elapsedMs\":([0-9.]+)").matcher(r.body());
        assertThat(m.find()).isTrue();
        double elapsed = Double.parseDouble(m.group(1));
        // Sequential would be 10 x 0.2 s = 2000 ms; overlapped it is about one sleep.
        assertThat(elapsed).isGreaterThanOrEqualTo(200).isLessThan(1000);
        assertThat(tookMs).isLessThan(1000);
        List<Step> s = steps(r.body());
        assertThat(s).hasSize(12).allSatisfy(st -> assertThat(st.thread()).isEqualTo(DemoService.LOOP_THREAD));
    }

    @Test
    void statsAndIndex() throws Exception {
        HttpResponse<String> s = get("/stats");
        assertThat(s.statusCode()).isEqualTo(200);
        assertThat(s.body()).contains("\"loopLag\":{\"lastMs\":", "\"tasksAlive\":", "\"requestsInFlight\":",
                "\"permits\":{\"sync\":{\"inUse\":", "\"db\":{\"inUse\":0,\"total\":8}");
        HttpResponse<String> index = get("/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(index.body()).contains("/async", "/sync", "/sync-with-async", "/db", "/fanout", "/stats", "fetch('/stats')");
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/async"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).contains("GET");
        assertThat(get("/async?seconds=oops").statusCode()).isEqualTo(400);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAndConnectionCloseIsHonoured() throws Exception {
        try (Socket s = new Socket("127.0.0.1", service.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            // The slow one first: answers must still come back in request order.
            out.write(("GET /async?seconds=0.1 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /sync?seconds=0 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);   // EOF: server closed
            List<String> statusLines = Pattern.compile("HTTP/1\\.1 \\d{3} [A-Za-z ]+").matcher(all).results()
                    .map(x -> x.group()).toList();
            assertThat(statusLines).containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK");
            int a = all.indexOf("\"endpoint\":\"/async\"");
            int b = all.indexOf("\"endpoint\":\"/sync\"");
            int c = all.indexOf("\"loopLag\"");
            assertThat(a).isPositive().isLessThan(b);
            assertThat(b).isLessThan(c);
            assertThat(all).contains("connection: close");
        }
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterOneAnswer() throws Exception {
        try (Socket s = new Socket("127.0.0.1", service.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /stats HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all).startsWith("HTTP/1.1 200 OK\r\n").contains("connection: close");
        }
    }

    /** A separate service, so closing it does not disturb the other tests. */
    @Test
    @CheckOpenSockets
    void closeFinishesInFlightRequestsThenStops() throws Exception {
        DemoService s = DemoService.start(DemoConfig.defaults().withPort(0).withDb("mem"));
        try (HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String b = "http://127.0.0.1:" + s.port();
            CompletableFuture<HttpResponse<String>> inFlight = c.sendAsync(
                    HttpRequest.newBuilder(URI.create(b + "/sync?seconds=0.5")).build(), HttpResponse.BodyHandlers.ofString());
            // Wait until the request is really in flight (the sync limiter holds its permit).
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (s.syncLimiter.borrowed() == 0) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.onSpinWait();
            }
            s.close();
            HttpResponse<String> r = inFlight.get(5, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("connection")).contains("close");
            s.awaitTermination();
        }
    }

    /** The real main in a child JVM: SIGTERM shuts it down gracefully and it exits with status 0. */
    @Test
    void mainExitsZeroOnSigterm() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        if ("FAST".equals(System.getProperty("loopbridge.expectedTaskMode"))) {
            cmd.add("--add-opens");
            cmd.add("java.base/java.lang=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.loopbridge.demo.DemoMain",
                "--port", "0", "--db", "mem"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            // Log lines may come first (a PORTABLE loop's one INFO line about the flag).
            List<String> before = new ArrayList<>();
            String first;
            while ((first = out.readLine()) != null && !first.contains("loopbridge demo on http://127.0.0.1:")) {
                before.add(first);
            }
            assertThat(first).as("the demo's start line; before it: %s", before).isNotNull();
            Matcher m = Pattern.compile(":(\\d+)/").matcher(first);
            assertThat(m.find()).isTrue();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + m.group(1) + "/async?seconds=0")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            p.toHandle().destroy();                               // SIGTERM (Process.destroy would also close our pipes)
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            String rest = String.join("\n", out.lines().toList());
            assertThat(p.exitValue()).as("exit status; output: %s", rest).isZero();
            assertThat(rest).contains("stopped cleanly");
        } finally {
            p.destroyForcibly();
        }
    }
}
