package dev.portcullis.agent.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A {@link NetProbe} running inside one namespace, driven from the test. */
public final class ProbeProcess implements AutoCloseable {

    private final String namespace;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    public ProbeProcess(String namespace, int... listenPorts) {
        this.namespace = namespace;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespace, java, "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", codeSource(), NetProbe.class.getName()));
        for (int port : listenPorts) {
            argv.add(Integer.toString(port));
        }
        try {
            // stderr (JVM notices such as JAVA_TOOL_OPTIONS) must not mix with the answers on stdout.
            process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    private static String codeSource() {
        try {
            return Path.of(NetProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the listeners are bound. */
    public ProbeProcess awaitReady() {
        String line = readLine();
        if (!"READY".equals(line)) {
            throw new IllegalStateException("probe in " + namespace + " did not start: " + line);
        }
        return this;
    }

    /** "OK <address the server saw>" or "FAIL <why>". */
    public String connect(String address, int port, int timeoutMillis) {
        return connectFrom(null, address, port, timeoutMillis);
    }

    /** Milliseconds to send {@code bytes} to a probe's listener and have them all read. */
    public long sendMillis(String address, int port, int bytes) {
        try {
            in.write("send " + address + " " + port + " " + bytes + "\n");
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String answer = readLine();
        if (!answer.startsWith("OK ")) {
            throw new IllegalStateException("send from " + namespace + " failed: " + answer);
        }
        return Long.parseLong(answer.substring(3));
    }

    /** Like {@link #connect} with the socket bound to {@code source} first (null: the kernel picks). */
    public String connectFrom(String source, String address, int port, int timeoutMillis) {
        try {
            in.write("connect " + address + " " + port + " " + timeoutMillis + (source == null ? "" : " " + source) + "\n");
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return readLine();
    }

    private String readLine() {
        try {
            String line = out.readLine();
            return line == null ? "probe in " + namespace + " exited" : line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
