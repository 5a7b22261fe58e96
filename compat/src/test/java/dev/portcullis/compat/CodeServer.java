package dev.portcullis.compat;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * code-server (VS Code in the browser) with its defaults: no {@code --trusted-origins}, and
 * {@code --auth none} because the gateway authenticates. The flags that remain only keep it from
 * calling home (the namespace could not reach anything anyway) and from asking about workspace trust.
 */
final class CodeServer {
    static final int PORT = 8080;
    static final String FILE = "hello.txt";
    static final String FILE_TEXT = "hello from the workspace";

    private CodeServer() {}

    static AppProcess start(InstalledApps apps, CompatWorkspace workspace, Path root, Path logs) throws IOException {
        Path project = Files.createDirectories(root.resolve("project"));
        Files.writeString(project.resolve(FILE), FILE_TEXT + "\n");
        Path data = Files.createDirectories(root.resolve("data"));
        Path settings = Files.createDirectories(data.resolve("User")).resolve("settings.json");
        // The terminal draws into the DOM (not WebGL) so the test can read what it shows; no welcome
        // page over the editor. Neither changes how code-server talks to the gateway.
        Files.writeString(settings, """
                {"terminal.integrated.gpuAcceleration": "off", "workbench.startupEditor": "none",
                 "terminal.integrated.shellIntegration.enabled": false}
                """);
        Path home = Files.createDirectories(root.resolve("home"));
        return AppProcess.start("code-server", workspace, PORT, List.of(apps.node().toString(), apps.codeServer().toString(),
                        "--bind-addr", "0.0.0.0:" + PORT, "--auth", "none", "--disable-telemetry", "--disable-update-check",
                        "--disable-workspace-trust", "--user-data-dir", data.toString(),
                        "--extensions-dir", Files.createDirectories(root.resolve("extensions")).toString(), project.toString()),
                project, Map.of("HOME", home.toString(), "SHELL", "/bin/bash"), logs, Duration.ofSeconds(60));
    }

    /** The workbench is up, connected to its server, and the explorer lists the project folder. */
    static boolean usable(AppBrowser browser) {
        return Boolean.TRUE.equals(browser.script("""
                const explorer = document.querySelector('.explorer-folders-view');
                return !!explorer && explorer.innerText.includes(arguments[0]);
                """, FILE));
    }

    /** Opens the file from the explorer and returns what the editor shows. */
    static String openFileFromExplorer(AppBrowser browser) {
        WebElement row = (WebElement) browser.script("""
                return [...document.querySelectorAll('.explorer-folders-view .monaco-list-row')]
                    .find(row => row.innerText.trim() === arguments[0]);
                """, FILE);
        row.click();
        await("the editor to show " + FILE).atMost(Duration.ofSeconds(30)).until(() -> editorText(browser).contains(FILE_TEXT));
        return editorText(browser);
    }

    private static String editorText(AppBrowser browser) {
        Object text = browser.script("const lines = document.querySelector('.editor-instance .view-lines');"
                + " return lines ? lines.innerText : '';");
        return String.valueOf(text).replace('\u00a0', ' ');
    }

    /** Opens a terminal from the command palette, runs {@code command} and waits until {@code expected} shows. */
    static void runInNewTerminal(AppBrowser browser, String command, String expected) {
        new Actions(browser.driver()).sendKeys(Keys.F1).perform();
        await("the command palette").atMost(Duration.ofSeconds(20)).until(() -> Boolean.TRUE.equals(browser.script(
                "const input = document.querySelector('.quick-input-widget input'); return !!input && input.offsetParent !== null;")));
        new Actions(browser.driver()).sendKeys("Terminal: Create New Terminal").perform();
        await("the command in the palette").atMost(Duration.ofSeconds(20)).until(() -> Boolean.TRUE.equals(browser.script(
                "return [...document.querySelectorAll('.quick-input-list .monaco-list-row')]"
                        + ".some(row => row.innerText.includes('Create New Terminal'));")));
        new Actions(browser.driver()).sendKeys(Keys.ENTER).perform();
        await("a terminal with a prompt").atMost(Duration.ofSeconds(30)).until(() -> terminalText(browser).contains("#")
                || terminalText(browser).contains("$"));
        new Actions(browser.driver()).sendKeys(command).sendKeys(Keys.ENTER).perform();
        await("'" + expected + "' in the terminal").atMost(Duration.ofSeconds(30))
                .until(() -> terminalText(browser).contains(expected));
    }

    static String terminalText(AppBrowser browser) {
        Object text = browser.script("return [...document.querySelectorAll('.terminal-wrapper .xterm-rows')]"
                + ".map(rows => rows.innerText).join('\\n');");
        return String.valueOf(text).replace('\u00a0', ' ');
    }
}
