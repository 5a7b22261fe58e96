package dev.portcullis.cli.admin;

import picocli.CommandLine.Option;

/**
 * Where the gateway's admin API is and who calls it: the options every command that asks or changes
 * a running gateway shares ({@code policy apply}, {@code policy explain}, {@code share}, {@code ports}),
 * mixed into each with {@code @Mixin}.
 */
public final class AdminApiOptions {
    static final String DEFAULT_GATEWAY = "http://127.0.0.1:9090";

    @Option(names = "--gateway", paramLabel = "URL",
            description = "the gateway's admin listener (default: $PORTCULLIS_GATEWAY, else " + DEFAULT_GATEWAY + ")")
    private String gateway;

    @Option(names = "--token", paramLabel = "JWT",
            description = "your token (default: $PORTCULLIS_TOKEN); the gateway decides what it allows")
    private String token;

    /** A client for the gateway these options name, with the token they give. */
    public AdminApiClient client() {
        String base = gateway != null ? gateway : System.getenv().getOrDefault("PORTCULLIS_GATEWAY", DEFAULT_GATEWAY);
        return new AdminApiClient(base, token != null ? token : System.getenv("PORTCULLIS_TOKEN"));
    }
}
