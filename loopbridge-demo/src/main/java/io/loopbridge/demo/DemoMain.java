package io.loopbridge.demo;

import java.util.concurrent.CountDownLatch;

/**
 * The README's main command ({@code ./demo.sh}): starts the demo service and serves until
 * Ctrl-C (SIGINT) or SIGTERM, then shuts down gracefully and exits with status 0.
 */
public final class DemoMain {
    private DemoMain() {
    }

    public static void main(String[] args) throws Exception {
        DemoConfig cfg;
        try {
            cfg = DemoConfig.fromArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        DemoService service = DemoService.start(cfg);
        String host = cfg.host().isEmpty() || cfg.host().equals("0.0.0.0") ? "127.0.0.1" : cfg.host();
        System.out.println("loopbridge demo on http://" + host + ":" + service.port() + "/  (task mode "
                + service.loop().taskMode() + ", database " + service.databaseUrl()
                + (service.databaseCreated() ? " created" : "") + "); Ctrl-C stops it");
        System.out.flush();

        CountDownLatch stop = new CountDownLatch(1);
        if (!installSignalHandlers(stop)) {
            // No sun.misc.Signal: still graceful, but the JVM's exit status is then 128+signal.
            Runtime.getRuntime().addShutdownHook(new Thread(service::close, "demo-shutdown"));
            service.awaitTermination();
            return;
        }
        stop.await();
        System.out.println("shutting down: no new requests, finishing in-flight ones (grace " + cfg.grace().toMillis() + " ms)");
        service.close();
        System.out.println("stopped cleanly");
        System.out.flush();
        System.exit(0);
    }

    /** SIGINT and SIGTERM count down {@code stop} instead of killing the JVM, so shutdown ends in exit 0. */
    private static boolean installSignalHandlers(CountDownLatch stop) {
        try {
            for (String name : new String[] {"INT", "TERM"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> stop.countDown());
            }
            return true;
        } catch (Throwable e) {
            return false;
        }
    }
}
