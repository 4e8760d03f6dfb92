package io.loopbridge.demo;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;

/**
 * The load script's anchor (bench/http-load.sh): a Vert.x 5 HTTP server answering GET /async
 * with the same JSON the demo's /async?seconds=0 gives, built per request the same way (the
 * thread name of each step included). One verticle instance, so one event loop, as the demo
 * has one loop.
 *
 * <pre>java -cp ... io.loopbridge.demo.VertxAnchorServer PORT</pre>
 */
public final class VertxAnchorServer extends VerticleBase {
    private final int port;

    private VertxAnchorServer(int port) {
        this.port = port;
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
                .requestHandler(req -> {
                    String thread = Thread.currentThread().getName();
                    String body = new Json().put("endpoint", "/async").put("seconds", 0.0).putRaw("steps",
                            "[" + step("async handler entered", thread) + ","
                                    + step("Async.sleep(0.0 s) done; the loop served others meanwhile", thread) + "]").end();
                    req.response().putHeader("content-type", "application/json").end(body);
                })
                .listen(port, "127.0.0.1");
    }

    private static String step(String what, String thread) {
        return new Json().put("step", what).put("thread", thread).put("inLoop", true).put("virtual", false)
                .put("runningLoop", (String) null).put("atMs", 0.01).end();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8081;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        vertx.deployVerticle(new VertxAnchorServer(port), new DeploymentOptions().setInstances(1))
                .await();
        System.out.println("vert.x anchor on http://127.0.0.1:" + port + "/async");
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await()));
    }
}
