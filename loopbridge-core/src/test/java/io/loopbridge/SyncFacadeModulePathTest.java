package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SyncFacade} on the module path, as a modular application uses it: a small module
 * {@code app} is compiled and run in a child JVM with {@code --module-path} (loopbridge as the
 * named module io.loopbridge). An async implementation in a package that {@code app} does
 * not export to io.loopbridge is refused with a message naming the {@code exports}/{@code opens}
 * line to add; exported and opened packages work.
 */
class SyncFacadeModulePathTest {
    @TempDir
    static Path dir;
    private static Map<String, String> results;
    private static String header;

    private static final String MODULE_INFO = """
            module app {
                requires io.loopbridge;
                exports app.api;
                exports app.exported to io.loopbridge;
                opens app.opened to io.loopbridge;
            }
            """;

    private static final String MAIN = """
            package app;

            import io.loopbridge.SyncFacade;

            public final class Main {
                interface Call { String call() throws Exception; }

                static void attempt(String name, Call c) {
                    try {
                        System.out.println(name + "=OK " + c.call());
                    } catch (Throwable e) {
                        System.out.println(name + "=FAIL " + e.getClass().getName() + ": " + e.getMessage());
                    }
                }

                public static void main(String[] args) {
                    System.out.println("modules=" + SyncFacade.class.getModule().getName() + "," + Main.class.getModule().getName());
                    attempt("hidden", () -> SyncFacade.of(app.hidden.Users.class, new app.hidden.AsyncUsers()).find(1));
                    attempt("exported", () -> SyncFacade.of(app.exported.Users.class, new app.exported.AsyncUsers()).find(2));
                    attempt("opened", () -> SyncFacade.of(app.opened.Users.class, new app.opened.AsyncUsers()).find(3));
                    attempt("exportedApiHiddenImpl", () -> SyncFacade.of(app.api.Users.class, new app.hidden.AsyncUsers()).find(4));
                    attempt("hiddenApiExportedImpl", () -> SyncFacade.of(app.hidden.Users.class, new app.exported.AsyncUsers()).find(5));
                }
            }
            """;

    private static String users(String pkg) {
        return "package app." + pkg + ";\npublic interface Users { String find(long id) throws java.io.IOException; }\n";
    }

    private static String asyncUsers(String pkg) {
        return "package app." + pkg + ";\npublic final class AsyncUsers {\n"
                + "    public java.util.concurrent.CompletableFuture<String> find(long id) {\n"
                + "        return java.util.concurrent.CompletableFuture.completedFuture(\"" + pkg + "-\" + id);\n"
                + "    }\n}\n";
    }

    @BeforeAll
    static void compileAndRunTheModule() throws Exception {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), MODULE_INFO);
        write(src.resolve("app/Main.java"), MAIN);
        write(src.resolve("app/api/Users.java"), users("api"));
        for (String pkg : List.of("hidden", "exported", "opened")) {
            write(src.resolve("app/" + pkg + "/Users.java"), users(pkg));
            write(src.resolve("app/" + pkg + "/AsyncUsers.java"), asyncUsers(pkg));
        }
        // loopbridge's own classes carry module-info.class: on the module path they are io.loopbridge.
        String modulePath = String.join(java.io.File.pathSeparator,
                Path.of(SyncFacade.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                Path.of(org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        Path bin = Path.of(System.getProperty("java.home"), "bin");
        Path out = dir.resolve("out");
        List<String> javac = new ArrayList<>(List.of(bin.resolve("javac").toString(), "-d", out.toString(),
                "--module-path", modulePath));
        try (var files = Files.walk(src)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> javac.add(p.toString()));
        }
        run(javac);
        String output = run(List.of(bin.resolve("java").toString(),
                "--module-path", modulePath + java.io.File.pathSeparator + out, "-m", "app/app.Main"));
        List<String> lines = output.lines().filter(l -> l.contains("=")).toList();
        header = lines.get(0);
        results = lines.stream().skip(1).collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')),
                l -> l.substring(l.indexOf('=') + 1), (a, b) -> a + "\n" + b));
    }

    private static void write(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + " said:\n" + output).isZero();
        return output;
    }

    @Test
    void theProgramRanOnTheModulePath() {
        assertThat(header).isEqualTo("modules=io.loopbridge,app");
    }

    @Test
    void anImplementationInAPackageNotExportedToLoopbridgeIsRefusedWithTheLineToAdd() {
        for (String attempt : List.of("hidden", "exportedApiHiddenImpl")) {
            assertThat(results.get(attempt)).as(attempt)
                    .startsWith("FAIL java.lang.IllegalArgumentException: SyncFacade: cannot access")
                    .contains("its class is public, but module app does not export package app.hidden to io.loopbridge")
                    .contains("'exports app.hidden to io.loopbridge;'")
                    .contains("'opens app.hidden to io.loopbridge;'")
                    .doesNotContain("make its class public");
        }
    }

    @Test
    void exportedOrOpenedToLoopbridgeWorks() {
        assertThat(results).containsEntry("exported", "OK exported-2").containsEntry("opened", "OK opened-3");
        // The sync interface itself may stay unexported: the JDK's proxy reaches it.
        assertThat(results).containsEntry("hiddenApiExportedImpl", "OK exported-5");
    }
}
