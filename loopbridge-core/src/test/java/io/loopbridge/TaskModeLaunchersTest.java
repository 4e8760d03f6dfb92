package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way the README gives to start a JVM in {@link TaskMode#FAST} does give FAST, and a
 * launch line without the flag gives PORTABLE with the one INFO line that names the flag. Each
 * case is a child JVM that prints the mode of a default loop ({@link PrintTaskMode}). The
 * children do not depend on this JVM's mode, so they run in the fast surefire pass only.
 */
class TaskModeLaunchersTest {
    private static final String FLAG = "java.base/java.lang=ALL-UNNAMED";

    @TempDir
    static Path dir;
    private static String java;
    private static String classPath;

    @BeforeAll
    static void once() {
        Assumptions.assumeTrue(TaskMode.best() == TaskMode.FAST, "children run once, in the fast surefire pass");
        java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        classPath = System.getProperty("java.class.path");
    }

    private record Child(String mode, String output) {
    }

    private static Child run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + " said:\n" + out).isZero();
        String mode = out.lines().filter(l -> l.startsWith("mode=")).map(l -> l.substring(5)).findFirst()
                .orElseThrow(() -> new AssertionError("no mode line in:\n" + out));
        return new Child(mode, out);
    }

    @Test
    void javaCpWithoutTheFlagIsPortableAndSaysWhichFlagGivesFast() throws Exception {
        Child c = run(List.of(java, "-cp", classPath, PrintTaskMode.class.getName()), Map.of());
        assertThat(c.mode()).isEqualTo("PORTABLE");
        assertThat(c.output().lines().filter(l -> l.contains("runs tasks in TaskMode.PORTABLE")))
                .singleElement().asString()
                .contains("INFO")
                .contains("--add-opens " + FLAG);
    }

    @Test
    void javaCpWithTheFlagIsFast() throws Exception {
        Child c = run(List.of(java, "--add-opens", FLAG, "-cp", classPath, PrintTaskMode.class.getName()), Map.of());
        assertThat(c.mode()).isEqualTo("FAST");
        assertThat(c.output()).doesNotContain("TaskMode.PORTABLE");
    }

    @Test
    void theJdkJavaOptionsVariableIsFast() throws Exception {
        Child c = run(List.of(java, "-cp", classPath, PrintTaskMode.class.getName()),
                Map.of("JDK_JAVA_OPTIONS", "--add-opens " + FLAG));
        assertThat(c.mode()).isEqualTo("FAST");
    }

    @Test
    void javaJarWithAnAddOpensManifestLineIsFast() throws Exception {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.MAIN_CLASS, PrintTaskMode.class.getName());
        a.putValue("Add-Opens", "java.base/java.lang");
        a.put(Attributes.Name.CLASS_PATH, Arrays.stream(classPath.split(File.pathSeparator))
                .map(p -> Path.of(p).toUri().toString()).collect(Collectors.joining(" ")));
        Path jar = dir.resolve("app.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        Child c = run(List.of(java, "-jar", jar.toString()), Map.of());
        assertThat(c.mode()).isEqualTo("FAST");
    }

    @Test
    void theModulePathWithTheFlagForIoLoopbridgeIsFast() throws Exception {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), "module app { requires io.loopbridge; }\n");
        write(src.resolve("app/Main.java"), """
                package app;
                public final class Main {
                    public static void main(String[] args) {
                        try (io.loopbridge.EventLoop loop = io.loopbridge.EventLoop.create()) {
                            System.out.println("mode=" + loop.taskMode());
                        }
                    }
                }
                """);
        String modulePath = String.join(File.pathSeparator,
                Path.of(EventLoop.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                Path.of(org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        Path out = dir.resolve("out");
        List<String> javac = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-d", out.toString(), "--module-path", modulePath,
                src.resolve("module-info.java").toString(), src.resolve("app/Main.java").toString()));
        Process p = new ProcessBuilder(javac).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("javac said:\n" + said).isZero();
        String path = modulePath + File.pathSeparator + out;
        assertThat(run(List.of(java, "--module-path", path, "-m", "app/app.Main"), Map.of()).mode())
                .as("no flag").isEqualTo("PORTABLE");
        assertThat(run(List.of(java, "--add-opens", "java.base/java.lang=io.loopbridge",
                "--module-path", path, "-m", "app/app.Main"), Map.of()).mode())
                .as("--add-opens java.base/java.lang=io.loopbridge").isEqualTo("FAST");
    }

    private static void write(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }
}
