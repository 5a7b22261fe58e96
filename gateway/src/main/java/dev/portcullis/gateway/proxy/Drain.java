package dev.portcullis.gateway.proxy;

/**
 * Fired through every client pipeline when the gateway shuts down: idle connections close at once,
 * a request in flight finishes and its connection closes after the response.
 */
public enum Drain {
    EVENT
}
