package io.loopbridge.demo;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.CapacityLimiter;
import io.loopbridge.EventLoop;
import io.loopbridge.EventThread;
import io.loopbridge.streams.IncompleteReadException;
import io.loopbridge.streams.LimitOverrunException;
import io.loopbridge.LoopFuture;
import io.loopbridge.streams.Server;
import io.loopbridge.streams.StreamReader;
import io.loopbridge.streams.StreamWriter;
import io.loopbridge.streams.Streams;
import io.loopbridge.Task;
import io.loopbridge.TaskGroup;
import io.loopbridge.Threads;
import io.loopbridge.Timeout;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo service: an HTTP/1.1 server written directly on loopbridge's streams, one event
 * loop in its own thread ({@link EventThread} "event-loop"), a worker pool for blocking code,
 * and an embedded H2 database.
 *
 * <p>Each connection is one task of the loop, reading requests with {@link StreamReader} and
 * answering them in order (so pipelined requests come back in order). Handlers are either
 * <em>async</em> (they run in the connection's task and may await) or <em>sync</em> (the
 * framework runs them with {@link Threads#toThread} on a worker thread, as FastAPI runs
 * {@code def} endpoints in AnyIO's worker threads).
 *
 * <p>{@link #start} and {@link #close} are thread-safe; everything else lives on the loop.
 */
public final class DemoService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoService.class);
    private static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    static final String LOOP_THREAD = "event-loop";

    @FunctionalInterface
    interface Handler {
        HttpResponse handle(HttpRequest req) throws Exception;
    }

    /** One endpoint: its methods, and whether the framework must move it off the loop. */
    record Route(Set<String> methods, boolean sync, Handler handler) {
    }

    /** Loop-confined state of one connection. */
    private static final class Conn {
        final Task<?> task;
        boolean idle = true;

        Conn(Task<?> task) {
            this.task = task;
        }
    }

    private final DemoConfig cfg;
    private final long startedAt = System.nanoTime();
    private final AtomicInteger workerIds = new AtomicInteger();
    private final ExecutorService workers;
    /** Sync handlers run under this (AnyIO's 40 worker threads). */
    final CapacityLimiter syncLimiter;
    /** Blocking work that a sync handler schedules back through the loop (/sync-with-async). */
    final CapacityLimiter blockingLimiter;
    /** JDBC calls: as many permits as the pool has connections, so no worker waits for a connection. */
    final CapacityLimiter dbLimiter;
    private final NotesDb db;
    private final HttpClient http;
    private final EventThread eventThread;
    /** The loop reference stored at start-up, for code running where no loop runs (the Python version's _event_loop). */
    private final EventLoop loop;
    private final Map<String, Route> routes = new HashMap<>();
    private final byte[] indexHtml;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Object closeLock = new Object();
    private boolean closing;

    // loop-confined
    private Server server;
    private int port;
    private LoopLag lag;
    private final Set<Conn> conns = new LinkedHashSet<>();
    private int busy;
    private int tasksAlive;
    private long requestsTotal;
    private long refused;
    private boolean draining;
    private LoopFuture<Void> drained;

    private DemoService(DemoConfig cfg) throws Exception {
        this.cfg = cfg;
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "worker-" + workerIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Platform threads, created on demand and reused; the limiters bound how many work at once.
        this.workers = Executors.newCachedThreadPool(tf);
        this.syncLimiter = new CapacityLimiter(cfg.syncWorkers());
        this.blockingLimiter = new CapacityLimiter(cfg.syncWorkers());
        this.dbLimiter = new CapacityLimiter(cfg.dbPool());
        try (InputStream in = DemoService.class.getResourceAsStream("index.html")) {
            this.indexHtml = in.readAllBytes();
        }
        NotesDb d = null;
        HttpClient h = null;
        EventThread et = null;
        try {
            d = NotesDb.open(cfg.jdbcUrl(), cfg.dbPool());
            h = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            et = new EventThread(LOOP_THREAD, EventLoop.builder().defaultExecutor(workers)).start();
        } catch (Exception | Error e) {
            if (d != null) {
                d.close();
            }
            if (h != null) {
                h.close();
            }
            workers.shutdownNow();
            throw e;
        }
        this.db = d;
        this.http = h;
        this.eventThread = et;
        this.loop = et.loop();
        routes.put("/", new Route(Set.of("GET"), false, r -> new HttpResponse(200, "text/html; charset=utf-8", indexHtml, "")));
        routes.put("/async", new Route(Set.of("GET"), false, this::asyncSleep));
        routes.put("/sync", new Route(Set.of("GET"), true, this::syncSleep));
        routes.put("/sync-with-async", new Route(Set.of("GET"), true, this::syncWithAsync));
        routes.put("/db", new Route(Set.of("GET", "POST"), false, this::db));
        routes.put("/fanout", new Route(Set.of("GET"), false, this::fanout));
        routes.put("/stats", new Route(Set.of("GET"), false, this::stats));
    }

    /** Starts the service: database, loop, listening socket. Returns once it accepts connections. */
    public static DemoService start(DemoConfig cfg) throws Exception {
        DemoService s = new DemoService(cfg);
        try {
            s.eventThread.call(() -> {
                s.server = Streams.startServer(s::serveConnection, cfg.host(), cfg.port(), DemoConfig.MAX_HEAD,
                        Streams.DEFAULT_BACKLOG);
                s.port = s.server.addresses().get(0).getPort();
                s.lag = new LoopLag(s.loop);
                s.lag.start();
                return null;
            });
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The port the service listens on. */
    public int port() {
        return port;
    }

    public EventLoop loop() {
        return loop;
    }

    public String databaseUrl() {
        return db.url;
    }

    public boolean databaseCreated() {
        return db.created;
    }

    /** Connections being served right now (not counting refused ones); for tests and tools. */
    int openConnections() throws Exception {
        return eventThread.call(conns::size);
    }

    /** Blocks until {@link #close} has finished. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    // ================================================================== connections

    private void serveConnection(StreamReader r, StreamWriter w) throws Exception {
        if (draining || conns.size() >= cfg.maxConnections()) {
            refuse(r, w);
            return;
        }
        Conn c = new Conn(Async.currentTask().orElseThrow());
        conns.add(c);
        tasksAlive++;
        try {
            serveRequests(r, w, c);
        } finally {
            conns.remove(c);
            tasksAlive--;
        }
    }

    /** Over the connection limit or shutting down: a polite 503 instead of a reset. */
    private void refuse(StreamReader r, StreamWriter w) throws Exception {
        refused++;
        try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
            r.readUntil(CRLFCRLF);
        } catch (TimeoutException | IOException e) {
            // Answer anyway.
        }
        String why = draining ? "the server is shutting down" : "too many connections (" + cfg.maxConnections() + ")";
        w.write(HttpResponse.error(503, why).withHeader("retry-after", "1").encode(false, false, false));
        lingerClose(r, w);
    }

    private void serveRequests(StreamReader r, StreamWriter w, Conn c) throws Exception {
        while (!draining) {
            byte[] head;
            c.idle = true;
            try (Timeout t = Async.timeout(cfg.headerTimeout())) {
                head = r.readUntil(CRLFCRLF);
            } catch (TimeoutException e) {
                // Slowloris, or an idle keep-alive connection: a partial head gets a 408.
                if (r.buffered() > 0) {
                    fail(r, w, new HttpException(408, "request head not complete within " + cfg.headerTimeout().toMillis() + " ms"));
                }
                return;
            } catch (LimitOverrunException e) {
                fail(r, w, new HttpException(431, "request head longer than " + DemoConfig.MAX_HEAD + " bytes"));
                return;
            } catch (IncompleteReadException e) {
                if (!blank(e.partial())) {
                    fail(r, w, new HttpException(400, "connection closed in the middle of a request head"));
                }
                return;
            } catch (IOException e) {
                return;                                   // reset by the peer: nobody to answer
            }
            c.idle = false;
            busy++;
            try {
                if (!serveOne(r, w, head)) {
                    return;
                }
            } finally {
                busy--;
                if (draining && busy == 0 && drained != null) {
                    drained.complete(null);
                }
            }
        }
    }

    private static boolean blank(byte[] b) {
        for (byte x : b) {
            if (x != '\r' && x != '\n') {
                return false;
            }
        }
        return true;
    }

    /** Reads the body, answers one request; false when the connection must close. */
    private boolean serveOne(StreamReader r, StreamWriter w, byte[] head) throws Exception {
        HttpRequest req;
        try {
            req = HttpRequest.parse(head);
            if (req.transferEncoding != null) {
                throw new HttpException(501, "Transfer-Encoding is not supported; send a Content-Length");
            }
            if (req.contentLength > cfg.maxBody()) {
                throw new HttpException(413, "body of " + req.contentLength + " bytes exceeds the limit of "
                        + cfg.maxBody() + " bytes");
            }
        } catch (HttpException e) {
            fail(r, w, e);
            return false;
        }
        if (req.contentLength > 0) {
            if (req.expectContinue) {
                w.write(CONTINUE);
            }
            try (Timeout t = Async.timeout(cfg.headerTimeout())) {
                req.body = readBody(r, (int) req.contentLength);
            } catch (TimeoutException e) {
                fail(r, w, new HttpException(408, "request body not complete within " + cfg.headerTimeout().toMillis() + " ms"));
                return false;
            } catch (IOException e) {
                return false;                             // closed or reset mid-body
            }
        }
        HttpResponse resp = dispatch(req);
        boolean keepAlive = req.keepAlive && !draining;
        w.write(resp.encode(keepAlive, req.http10, req.method.equals("HEAD")));
        requestsTotal++;
        w.drain();
        return keepAlive;
    }

    private static byte[] readBody(StreamReader r, int n) throws Exception {
        byte[] body = new byte[n];
        int got = 0;
        while (got < n) {
            byte[] chunk = r.read(Math.min(n - got, r.limit()));
            if (chunk.length == 0) {
                throw new IncompleteReadException(java.util.Arrays.copyOf(body, got), n);
            }
            System.arraycopy(chunk, 0, body, got, chunk.length);
            got += chunk.length;
        }
        return body;
    }

    private HttpResponse dispatch(HttpRequest req) throws Exception {
        Route route = routes.get(req.path);
        if (route == null) {
            return HttpResponse.error(404, "no endpoint " + req.path + "; see GET /");
        }
        String method = req.method.equals("HEAD") ? "GET" : req.method;
        if (!route.methods().contains(method)) {
            return HttpResponse.error(405, req.method + " is not allowed on " + req.path)
                    .withHeader("allow", String.join(", ", route.methods()));
        }
        try {
            if (route.sync()) {
                // The framework's job: a blocking handler never runs on the loop.
                return Threads.toThread(() -> route.handler().handle(req), syncLimiter);
            }
            return route.handler().handle(req);
        } catch (HttpException e) {
            return HttpResponse.error(e.status, e.getMessage());
        } catch (CancelledException e) {
            throw e;
        } catch (Exception e) {
            log.warn("{} {} failed", req.method, req.target, e);
            return HttpResponse.error(500, e.toString());
        }
    }

    /** Answers {@code e} with connection: close, then closes without resetting (lingering close). */
    private void fail(StreamReader r, StreamWriter w, HttpException e) throws Exception {
        w.write(HttpResponse.error(e.status, e.getMessage()).encode(false, false, false));
        lingerClose(r, w);
    }

    /**
     * Half-closes, then reads and drops what the client still sends (for at most a second and
     * 1 MiB), so the kernel closes with FIN rather than a reset that could destroy the answer.
     */
    private static void lingerClose(StreamReader r, StreamWriter w) throws Exception {
        try {
            w.drain();
            w.writeEof();
            try (Timeout t = Async.timeout(Duration.ofSeconds(1))) {
                long dropped = 0;
                while (dropped < (1 << 20)) {
                    byte[] b = r.read(r.limit());
                    if (b.length == 0) {
                        break;
                    }
                    dropped += b.length;
                }
            }
        } catch (TimeoutException | IOException | IllegalStateException e) {
            // Closing anyway.
        }
    }

    // ================================================================== endpoints

    private Steps steps() {
        return new Steps(loop, LOOP_THREAD);
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    /** GET /async?seconds=0.2: runs on the loop and awaits a loop timer. */
    private HttpResponse asyncSleep(HttpRequest req) throws Exception {
        double s = req.doubleParam("seconds", 0.2, 0, 30);
        Steps st = steps();
        st.add("async handler entered");
        Async.sleep(seconds(s));
        st.add("Async.sleep(" + s + " s) done; the loop served others meanwhile");
        return HttpResponse.json(new Json().put("endpoint", "/async").put("seconds", s).putRaw("steps", st.json()).end());
    }

    /** GET /sync?seconds=0.2: a blocking handler; the framework already moved it to a worker. */
    private HttpResponse syncSleep(HttpRequest req) throws Exception {
        double s = req.doubleParam("seconds", 0.2, 0, 30);
        Steps st = steps();
        st.add("sync handler entered (dispatched to a worker by the framework)");
        Thread.sleep(seconds(s));
        st.add("Thread.sleep(" + s + " s) done; it blocked this worker only");
        return HttpResponse.json(new Json().put("endpoint", "/sync").put("seconds", s).putRaw("steps", st.json()).end());
    }

    /**
     * GET /sync-with-async?seconds=0.2: the classic scenario. A sync handler on a worker finds no
     * running loop, falls back to the loop stored at start-up, schedules toThread(blocking)
     * onto it with runCoroutineThreadsafe, and waits for the result.
     */
    private HttpResponse syncWithAsync(HttpRequest req) throws Exception {
        double s = req.doubleParam("seconds", 0.2, 0, 30);
        Steps st = steps();
        st.add("sync handler entered (dispatched to a worker by the framework)");
        EventLoop target = EventLoop.running().orElse(null);
        if (target == null) {
            st.add("EventLoop.running() is empty here: no loop runs in this thread; using the loop stored at start-up");
            target = loop;
        } else {
            st.add("EventLoop.running() found loop '" + target.name() + "'");
        }
        st.add("stored loop '" + target.name() + "' isRunning=" + target.isRunning()
                + "; scheduling toThread(blocking) on it with runCoroutineThreadsafe");
        CompletableFuture<String> f = Threads.runCoroutineThreadsafe(() -> {
            tasksAlive++;
            try {
                st.add("task started on the loop by runCoroutineThreadsafe");
                String result = Threads.toThread(() -> {
                    st.add("blocking operation (Thread.sleep " + s + " s) in toThread");
                    Thread.sleep(seconds(s));
                    return "slept " + s + " s";
                }, blockingLimiter);
                st.add("toThread result back in the task on the loop");
                return result;
            } finally {
                tasksAlive--;
            }
        }, target);
        String result = f.get(60, TimeUnit.SECONDS);      // blocks this worker, not the loop
        st.add("future.get() returned in the sync handler");
        return HttpResponse.json(new Json().put("endpoint", "/sync-with-async").put("seconds", s)
                .put("result", result).putRaw("steps", st.json()).end());
    }

    /** GET /db?id=N (or the latest 10), POST /db with a text body: JDBC on a worker under the pool-sized limiter. */
    private HttpResponse db(HttpRequest req) throws Exception {
        Steps st = steps();
        st.add("db handler entered");
        if (req.method.equals("POST")) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(req.body)).toString().strip();
            } catch (CharacterCodingException e) {
                throw new HttpException(400, "the body must be UTF-8 text", false);
            }
            if (text.isEmpty()) {
                throw new HttpException(400, "POST /db needs a text body (the note to store)", false);
            }
            NotesDb.Note n = Threads.toThread(() -> {
                st.add("JDBC INSERT on a worker");
                return db.insert(text);
            }, dbLimiter);
            st.add("back on the loop");
            return HttpResponse.json(201, new Json().put("endpoint", "POST /db").putRaw("note", n.json())
                    .putRaw("steps", st.json()).end());
        }
        String idParam = req.param("id");
        if (idParam == null || idParam.isEmpty()) {
            List<NotesDb.Note> notes = Threads.toThread(() -> {
                st.add("JDBC SELECT (latest 10) on a worker");
                return db.latest(10);
            }, dbLimiter);
            st.add("back on the loop");
            List<String> items = new ArrayList<>();
            notes.forEach(n -> items.add(n.json()));
            return HttpResponse.json(new Json().put("endpoint", "GET /db").putRaw("notes", Json.array(items))
                    .putRaw("steps", st.json()).end());
        }
        long id = req.longParam("id", 0, 1, Long.MAX_VALUE);
        NotesDb.Note n = Threads.toThread(() -> {
            st.add("JDBC SELECT on a worker");
            return db.find(id);
        }, dbLimiter);
        st.add("back on the loop");
        if (n == null) {
            throw new HttpException(404, "no note " + id, false);
        }
        return HttpResponse.json(new Json().put("endpoint", "GET /db").putRaw("note", n.json())
                .putRaw("steps", st.json()).end());
    }

    /** GET /fanout?n=10&seconds=0.2: n concurrent calls to /async with the JDK's HttpClient, in a TaskGroup. */
    private HttpResponse fanout(HttpRequest req) throws Exception {
        int n = (int) req.longParam("n", 10, 1, 100);
        double s = req.doubleParam("seconds", 0.2, 0, 10);
        Steps st = steps();
        st.add("fanout handler entered; spawning " + n + " tasks in a TaskGroup");
        URI uri = URI.create("http://127.0.0.1:" + port + "/async?seconds=" + s);
        long t0 = System.nanoTime();
        List<Task<Integer>> kids = new ArrayList<>();
        try (TaskGroup tg = TaskGroup.open()) {
            for (int i = 0; i < n; i++) {
                int k = i;
                kids.add(tg.spawn("fanout-" + k, () -> {
                    tasksAlive++;
                    try {
                        var r = Async.await(http.sendAsync(java.net.http.HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(30)).GET().build(), BodyHandlers.ofString()));
                        st.add("call " + k + " answered " + r.statusCode() + " after HttpClient.sendAsync was awaited");
                        return r.statusCode();
                    } finally {
                        tasksAlive--;
                    }
                }));
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e6;
        List<String> statuses = new ArrayList<>();
        for (Task<Integer> t : kids) {
            statuses.add(String.valueOf(t.result()));
        }
        st.add("TaskGroup closed: all " + n + " calls done");
        return HttpResponse.json(new Json().put("endpoint", "/fanout").put("n", n).put("secondsEach", s)
                .put("elapsedMs", Math.round(elapsed * 10) / 10.0).put("sequentialWouldTakeMs", Math.round(n * s * 1000))
                .putRaw("statuses", Json.array(statuses)).putRaw("steps", st.json()).end());
    }

    /** GET /stats: loop lag, tasks, connections, permits in use. */
    private HttpResponse stats(HttpRequest req) {
        return HttpResponse.json(statsJson());
    }

    String statsJson() {
        io.loopbridge.LoopStats loopStats = loop.stats();
        return new Json()
                .put("uptimeSeconds", Math.round((System.nanoTime() - startedAt) / 1e7) / 100.0)
                .put("taskMode", loop.taskMode().name())
                .putRaw("loopLag", lag.json())
                .put("connections", conns.size())
                .put("requestsInFlight", busy)
                .put("requestsTotal", requestsTotal)
                .put("refusedConnections", refused)
                .put("tasksAlive", loopStats.tasks())
                .put("requestTasks", tasksAlive)
                .put("readyQueueDepth", loopStats.readyCallbacks())
                .put("timers", loopStats.timers())
                .put("channels", loopStats.channels())
                .putRaw("permits", new Json()
                        .putRaw("sync", limiter(syncLimiter)).putRaw("blocking", limiter(blockingLimiter))
                        .putRaw("db", limiter(dbLimiter)).end())
                // Platform threads of the JVM (Thread.activeCount() counts only the caller's group).
                .put("jvmThreads", java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount())
                .end();
    }

    private static String limiter(CapacityLimiter l) {
        return new Json().put("inUse", l.borrowed()).put("total", l.total()).end();
    }

    // ================================================================== shutdown

    /**
     * Graceful stop: stop taking requests (new connections get 503, idle keep-alive ones are
     * closed), give in-flight requests {@code cfg.grace()} to finish, close the server, the
     * loop, the HTTP client, the workers and the database. Idempotent; call from any thread
     * but the loop's.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            if (server != null) {
                eventThread.call(() -> {
                    drain();
                    return null;
                });
            }
        } catch (Exception e) {
            log.warn("draining the demo service failed", e);
        } finally {
            eventThread.close(Duration.ofSeconds(2));
            http.close();
            workers.shutdown();
            try {
                if (!workers.awaitTermination(cfg.grace().toMillis() + 2000, TimeUnit.MILLISECONDS)) {
                    workers.shutdownNow();
                }
            } catch (InterruptedException e) {
                workers.shutdownNow();
                Thread.currentThread().interrupt();
            }
            db.close();
            terminated.countDown();
        }
    }

    /** On the loop: stop taking requests, wait for the in-flight ones within the grace period, close the server. */
    private void drain() throws Exception {
        draining = true;
        for (Conn c : List.copyOf(conns)) {
            if (c.idle) {
                c.task.cancel("the demo service is shutting down");
            }
        }
        if (busy > 0) {
            drained = loop.createFuture();
            try {
                Async.waitFor(drained, cfg.grace());
            } catch (TimeoutException e) {
                log.warn("{} request(s) still running after the {} ms grace period; closing them", busy,
                        cfg.grace().toMillis());
            }
        }
        lag.stop();
        server.close();
        server.awaitClosed();
    }
}
