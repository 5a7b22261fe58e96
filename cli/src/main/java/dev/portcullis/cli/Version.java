package dev.portcullis.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/** {@code portcullis --version}: the release, as Maven built it, and the Java it runs on. */
public final class Version implements CommandLine.IVersionProvider {

    /** The project's version, e.g. {@code 0.1.0-SNAPSHOT}, filtered into this jar at build time. */
    public static String release() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the portcullis-cli jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String[] getVersion() {
        // The first line alone is what the man pages carry as the release.
        return new String[] {"portcullis " + release(), "Java " + Runtime.version() + ", " + System.getProperty("java.vendor")};
    }
}
