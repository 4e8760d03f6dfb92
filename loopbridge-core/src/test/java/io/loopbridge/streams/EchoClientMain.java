package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.Task;
import static java.nio.charset.StandardCharsets.US_ASCII;

import java.util.ArrayList;
import java.util.List;

/**
 * The client side of {@link StreamsScaleTest}, run in a child JVM so that both ends of
 * 10,000 connections fit the per-process file-descriptor limit. Opens every connection first
 * (so all are open at once), then echoes one line on each, then closes them all. Prints
 * "CONNECTED n" and "OK n" on stdout for the test to read.
 *
 * <p>Arguments: host port connections.
 */
public final class EchoClientMain {
    private static final int CONNECT_BATCH = 500;

    private EchoClientMain() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        int ok = Async.run(() -> {
            Streams.Connection[] conns = new Streams.Connection[n];
            for (int base = 0; base < n; base += CONNECT_BATCH) {
                List<Task<Streams.Connection>> batch = new ArrayList<>();
                for (int i = base; i < Math.min(n, base + CONNECT_BATCH); i++) {
                    batch.add(Async.spawn(() -> Streams.openConnection(host, port)));
                }
                for (int j = 0; j < batch.size(); j++) {
                    conns[base + j] = Async.await(batch.get(j));
                }
            }
            System.out.println("CONNECTED " + n);
            List<Task<Boolean>> echoes = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Streams.Connection c = conns[i];
                byte[] line = ("connection " + i + " says hello\n").getBytes(US_ASCII);
                echoes.add(Async.spawn(() -> {
                    c.writer().write(line);
                    c.writer().drain();
                    return java.util.Arrays.equals(c.reader().readLine(), line);
                }));
            }
            int good = 0;
            for (Task<Boolean> t : echoes) {
                if (Async.await(t)) {
                    good++;
                }
            }
            for (Streams.Connection c : conns) {
                c.writer().close();
            }
            for (Streams.Connection c : conns) {
                c.writer().awaitClosed();
            }
            return good;
        });
        System.out.println("OK " + ok);
    }
}
