package dev.portcullis.agent.lifecycle;

/** A request the agent refuses, with the HTTP status the API answers; nothing was changed. */
public final class RequestException extends RuntimeException {

    private final int status;

    public RequestException(int status, String message) {
        super(message);
        this.status = status;
    }

    public static RequestException badRequest(String message) {
        return new RequestException(400, message);
    }

    public static RequestException notFound(String message) {
        return new RequestException(404, message);
    }

    public static RequestException conflict(String message) {
        return new RequestException(409, message);
    }

    public int status() {
        return status;
    }
}
