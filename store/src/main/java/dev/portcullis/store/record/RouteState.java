package dev.portcullis.store.record;

/** Whether a workspace serves: a stopped one is answered 503 by the gateway, an unknown one 404. */
public enum RouteState {
    RUNNING("running"),
    STOPPED("stopped");

    private final String jsonName;

    RouteState(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static RouteState ofJsonName(String name) {
        for (RouteState state : values()) {
            if (state.jsonName.equals(name)) {
                return state;
            }
        }
        throw new InvalidRecordException("state: " + (name == null ? "missing" : "'" + name + "'")
                + " (expected: running or stopped)");
    }
}
