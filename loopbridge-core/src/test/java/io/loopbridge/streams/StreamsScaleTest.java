package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.TestLoops;
import io.loopbridge.TaskMode;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 10,000 connections on one server loop, all open at once, each echoing a line; the clients
 * run in a child JVM (both ends in one JVM would need 20,000 descriptors, the process limit).
 * Afterwards every accepted channel is closed and no selection key is left.
 */
class StreamsScaleTest {
    static final int CONNECTIONS = 10_000;

    @Test
    void tenThousandConcurrentConnectionsEchoOnOneLoopAndLeaveNothingBehind() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("scale-server").build())) {
            EventLoop loop = bg.loop;
            List<StreamWriter> accepted = new ArrayList<>();
            int[] live = {0};
            int[] maxLive = {0};
            long[] echoedLines = {0};
            LoopFuture<Void> allDone = StreamsTest.onLoop(loop, loop::createFuture);
            Server server = StreamsTest.onLoop(loop, () -> Streams.startServer((r, w) -> {
                accepted.add(w);
                maxLive[0] = Math.max(maxLive[0], ++live[0]);
                try {
                    byte[] line;
                    while ((line = r.readLine()).length > 0) {
                        w.write(line);
                        w.drain();
                        echoedLines[0]++;
                    }
                } finally {
                    if (--live[0] == 0 && accepted.size() == CONNECTIONS) {
                        allDone.complete(null);
                    }
                }
            }, StreamsTest.LOCAL, 0, StreamReader.DEFAULT_LIMIT, 4096));
            int port = StreamsTest.port(server);

            File err = File.createTempFile("echo-client", ".log");
            err.deleteOnExit();
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElseThrow());
            if (loop.taskMode() == TaskMode.FAST) {
                cmd.add("--add-opens");
                cmd.add("java.base/java.lang=ALL-UNNAMED");
            }
            cmd.addAll(List.of("-Xss512k", "-cp", System.getProperty("java.class.path"), EchoClientMain.class.getName(),
                    StreamsTest.LOCAL, Integer.toString(port), Integer.toString(CONNECTIONS)));
            Process child = new ProcessBuilder(cmd).redirectError(err).start();
            List<String> out = new ArrayList<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = in.readLine()) != null) {
                    out.add(l);
                }
            } finally {
                if (!child.waitFor(45, TimeUnit.SECONDS)) {
                    child.destroyForcibly().waitFor();
                }
            }
            assertThat(child.exitValue()).as("client exit; stderr: %s", Files.readString(err.toPath())).isZero();
            assertThat(out).containsExactly("CONNECTED " + CONNECTIONS, "OK " + CONNECTIONS);

            StreamsTest.onLoop(loop, () -> {
                Async.await(allDone);
                assertThat(maxLive[0]).isEqualTo(CONNECTIONS);
                assertThat(echoedLines[0]).isEqualTo(CONNECTIONS);
                server.close();
                server.awaitClosed();
                assertThat(accepted).hasSize(CONNECTIONS)
                        .allSatisfy(w -> assertThat(w.transport.channel.isOpen()).isFalse());
                assertThat(loop.stats().channels()).isZero();
                return null;
            });
        }
    }
}
