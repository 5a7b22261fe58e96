package dev.portcullis.devkit.demo;

import java.nio.file.Path;

/**
 * Where the demo keeps what outlives one run: its CA, its development issuer's key, and the policies
 * and shares. {@code ./portcullis demo} writes here and {@code ./portcullis token} reads the issuer
 * key, so both agree on this layout.
 */
public final class DemoStateFolder {
    public static final String TLS = "tls";
    public static final String ISSUER = "issuer";
    public static final String ACCESS = "access";

    private DemoStateFolder() {}

    /** {@code $XDG_STATE_HOME/portcullis}, else {@code ~/.local/state/portcullis}. */
    public static Path defaultPath() {
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("portcullis");
    }
}
