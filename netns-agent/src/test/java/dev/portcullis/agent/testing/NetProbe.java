package dev.portcullis.agent.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A tiny TCP server and client run inside a namespace with `ip netns exec NS java ... NetProbe
 * PORT...`: it answers every connection with the address it came from, and reads commands
 * "connect IP PORT TIMEOUT_MS [SOURCE_IP]" (prints "OK seen-as" or "FAIL reason") and
 * "send IP PORT BYTES" (prints "OK milliseconds") on stdin. Plain Java, so
 * tests need no nc or python in CI.
 */
public final class NetProbe {

    public static void main(String[] args) throws Exception {
        for (String port : args) {
            ServerSocket server = new ServerSocket();
            try {
                server.bind(new InetSocketAddress("::", Integer.parseInt(port))); // both families
            } catch (java.io.IOException noIpv6) {
                server.close();
                server = new ServerSocket();
                server.bind(new InetSocketAddress("0.0.0.0", Integer.parseInt(port)));
            }
            ServerSocket bound = server;
            Thread.ofPlatform().daemon().start(() -> serve(bound));
        }
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.strip().split(" ");
            if (parts.length == 4 && parts[0].equals("send")) {
                System.out.println(send(parts[1], Integer.parseInt(parts[2]), Integer.parseInt(parts[3])));
                System.out.flush();
            } else if ((parts.length == 4 || parts.length == 5) && parts[0].equals("connect")) {
                String source = parts.length == 5 ? parts[4] : null;
                System.out.println(connect(parts[1], Integer.parseInt(parts[2]), Integer.parseInt(parts[3]), source));
                System.out.flush();
            }
        }
    }

    /** Answers every connection with its source address, then reads until the client is done. */
    public static void serve(ServerSocket server) {
        while (true) {
            try (Socket client = server.accept(); OutputStream out = client.getOutputStream()) {
                out.write((client.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                client.getInputStream().transferTo(OutputStream.nullOutputStream()); // a sink until the client is done
            } catch (Exception e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    /** Sends {@code bytes} and waits until the server has read them all: "OK <milliseconds>". */
    static String send(String host, int port, int bytes) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 3000);
            socket.setSoTimeout(30_000);
            var in = socket.getInputStream();
            while (in.read() != '\n') {
                // skip the greeting
            }
            long start = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            byte[] chunk = new byte[16 * 1024];
            for (int sent = 0; sent < bytes; sent += chunk.length) {
                out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
            }
            socket.shutdownOutput();
            while (in.read() >= 0) {
                // the server closes once it has read everything
            }
            return "OK " + (System.nanoTime() - start) / 1_000_000;
        } catch (Exception e) {
            return "FAIL " + e.getClass().getSimpleName() + " " + e.getMessage();
        }
    }

    static String connect(String host, int port, int timeoutMillis, String source) {
        try (Socket socket = new Socket()) {
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String seenAs = reader.readLine();
            return seenAs == null ? "FAIL closed without an answer" : "OK " + seenAs;
        } catch (Exception e) {
            return "FAIL " + e.getClass().getSimpleName() + " " + e.getMessage();
        }
    }
}
