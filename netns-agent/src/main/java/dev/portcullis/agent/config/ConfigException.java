package dev.portcullis.agent.config;

/** A config file mistake, already phrased as "file:line: key: what is wrong (expected: ...)". */
public final class ConfigException extends Exception {
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
