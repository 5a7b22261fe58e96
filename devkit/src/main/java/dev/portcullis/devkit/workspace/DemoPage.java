package dev.portcullis.devkit.workspace;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * The demo workspace's page: shows where the app runs, the address it answered on (inside a network
 * namespace: the namespace's own), what it received, and echoes over a WebSocket.
 */
final class DemoPage {
    private DemoPage() {}

    static String render(HttpRequest request, InetSocketAddress servedOn, String where) {
        return """
                <!doctype html>
                <html><head><meta charset="utf-8"><title>%1$s</title>
                <style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;line-height:1.5}
                code,pre{background:#f3f3f3;padding:.1rem .3rem}</style></head>
                <body>
                <h1>%1$s</h1>
                <p>This page was served by the demo workspace app and reached you through the Portcullis gateway.</p>
                <p>The workspace app runs %5$s and answered on <code>%6$s</code>.</p>
                <p>The workspace saw <code>Host: %2$s</code>, <code>X-Forwarded-For: %3$s</code>,
                <code>X-Forwarded-Proto: %4$s</code>.</p>
                <h2>WebSocket echo</h2>
                <p><input id="message" value="hello through the tunnel"> <button id="send">Send</button></p>
                <pre id="log"></pre>
                <script>
                const log = (line) => document.getElementById('log').textContent += line + '\\n';
                const socket = new WebSocket('wss://' + location.host + '/echo');
                socket.onopen = () => log('connected');
                socket.onmessage = (event) => log('echo: ' + event.data);
                socket.onclose = () => log('closed');
                document.getElementById('send').onclick = () => socket.send(document.getElementById('message').value);
                </script>
                </body></html>
                """.formatted(DemoWorkspaceApp.PAGE_TITLE,
                escape(request.headers().get(HttpHeaderNames.HOST)),
                escape(request.headers().get("x-forwarded-for")),
                escape(request.headers().get("x-forwarded-proto")),
                where == null ? "in the process that started it" : escape(where),
                escape(servedOn.getAddress().getHostAddress() + ":" + servedOn.getPort()));
    }

    private static String escape(String value) {
        if (value == null) {
            return "(none)";
        }
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
