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
 * JupyterLab 4 with its defaults, except its own token: empty, because the gateway authenticates
 * (as {@code --auth none} for code-server). {@code --allow-root}: CI runs as root.
 */
final class JupyterLab {
    static final int PORT = 8888;
    static final String NOTEBOOK = "check.ipynb";
    static final String PATH = "/lab/tree/" + NOTEBOOK;

    private JupyterLab() {}

    static AppProcess start(InstalledApps apps, CompatWorkspace workspace, Path root, Path logs) throws IOException {
        Path notebooks = Files.createDirectories(root.resolve("notebooks"));
        Files.writeString(notebooks.resolve(NOTEBOOK), """
                {"cells": [{"cell_type": "code", "execution_count": null, "id": "a1", "metadata": {}, "outputs": [],
                            "source": ["1+1"]}],
                 "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
                 "nbformat": 4, "nbformat_minor": 5}
                """);
        Path home = Files.createDirectories(root.resolve("home"));
        return AppProcess.start("jupyterlab", workspace, PORT, List.of(apps.jupyterLab().toString(),
                        "--ip=0.0.0.0", "--port=" + PORT, "--no-browser", "--allow-root",
                        "--IdentityProvider.token=", "--ServerApp.root_dir=" + notebooks),
                notebooks, Map.of("HOME", home.toString(), "JUPYTER_CONFIG_DIR", home.resolve(".jupyter").toString(),
                        "JUPYTER_DATA_DIR", home.resolve(".local/share/jupyter").toString(),
                        "JUPYTER_RUNTIME_DIR", home.resolve(".local/share/jupyter/runtime").toString(),
                        "IPYTHONDIR", home.resolve(".ipython").toString()),
                logs, Duration.ofSeconds(60));
    }

    /** The notebook shows its cell and its kernel is connected and idle. */
    static boolean usable(AppBrowser browser) {
        return Boolean.TRUE.equals(browser.script("""
                const cell = document.querySelector('.jp-Notebook .jp-CodeCell .cm-content');
                const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
                return !!cell && cell.innerText.includes('1+1') && !!status && status.getAttribute('data-status') === 'idle';
                """));
    }

    /**
     * Runs the notebook's cell with Shift+Enter and returns the output it shows. The keys go only once
     * the cell's editor has the focus: a click that lands while the notebook is still settling leaves
     * the focus elsewhere, and the keys then run nothing.
     */
    static String runCell(AppBrowser browser) {
        await("the cell's editor focused").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> {
                    WebElement editor = (WebElement) browser.script(
                            "return document.querySelector('.jp-Notebook .jp-CodeCell .cm-content');");
                    editor.click();
                    return Boolean.TRUE.equals(browser.script("const editor = document.querySelector("
                            + "'.jp-Notebook .jp-CodeCell .cm-content'); return !!editor && editor.contains(document.activeElement);"));
                });
        new Actions(browser.driver()).keyDown(Keys.SHIFT).sendKeys(Keys.ENTER).keyUp(Keys.SHIFT).perform();
        try {
            await("the cell's output").atMost(Duration.ofSeconds(30)).until(() -> !output(browser).isEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; the kernel's status: " + browser.script(
                    "const s = document.querySelector('.jp-Notebook-ExecutionIndicator'); return s ? s.getAttribute('data-status') : null;")
                    + "; its WebSockets: " + browser.sockets() + "; the page shows:\n" + browser.visibleText(), e);
        }
        return output(browser);
    }

    private static String output(AppBrowser browser) {
        Object text = browser.script("const out = document.querySelector('.jp-Notebook .jp-CodeCell .jp-OutputArea-output');"
                + " return out ? out.innerText.trim() : '';");
        return String.valueOf(text);
    }
}
