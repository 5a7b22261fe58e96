package dev.portcullis.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Vite dev server with its defaults ({@code --host} only makes it listen beyond the namespace's
 * loopback, as a workspace's dev server must) on a small project whose entry accepts hot updates of
 * the module it shows, so an edit reaches the page over the HMR WebSocket without a reload.
 */
final class ViteDevServer {
    static final int PORT = 5173;
    static final String FIRST_MESSAGE = "hello from vite";

    private ViteDevServer() {}

    static AppProcess start(InstalledApps apps, CompatWorkspace workspace, Path root, Path logs) throws IOException {
        Path project = Files.createDirectories(root.resolve("project"));
        Files.writeString(project.resolve("index.html"), """
                <!doctype html>
                <html><head><title>vite compat</title></head>
                <body><p id="app">loading</p><script type="module" src="/main.js"></script></body></html>
                """);
        Files.writeString(project.resolve("main.js"), """
                import { message } from './message.js';
                const show = (text) => { document.getElementById('app').textContent = text; };
                show(message);
                if (import.meta.hot) {
                  import.meta.hot.accept('./message.js', (updated) => show(updated.message));
                }
                """);
        writeMessage(project, FIRST_MESSAGE);
        return AppProcess.start("vite", workspace, PORT, List.of(apps.node().toString(), apps.vite().toString(),
                        "--host", "0.0.0.0", "--port", Integer.toString(PORT), "--strictPort"),
                project, Map.of("HOME", Files.createDirectories(root.resolve("home")).toString()), logs, Duration.ofSeconds(60));
    }

    /** What a developer does in the workspace: edits the module the page shows. */
    static void writeMessage(Path project, String message) throws IOException {
        Files.writeString(project.resolve("message.js"), "export const message = '" + message + "';\n");
    }

    /** The page shows the module's text and its HMR WebSocket is open. */
    static boolean usable(AppBrowser browser) {
        return FIRST_MESSAGE.equals(shown(browser)) && browser.openSockets() > 0;
    }

    static String shown(AppBrowser browser) {
        Object text = browser.script("const app = document.getElementById('app'); return app ? app.textContent : null;");
        return text == null ? null : text.toString();
    }
}
