package dev.portcullis.store.record;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * Records to JSON and back. Every value carries {@code "version": 1}; decoding checks the version
 * first, then every field, then that the record belongs under the key it was read from. Decoding
 * either returns a complete, valid record or throws: a caller never sees half of one.
 */
public final class RecordCodec {

    public static final int VERSION = 1;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private RecordCodec() {}

    // The wire forms. Field names are the documented JSON keys (docs/store.md).
    // listeningPorts is left out when not known, so routes of agents that do not report them are stored as before.
    record RouteJson(int version, String workspaceId, String address, String host, String owner, String org,
                     Map<String, String> labels, String state, List<Integer> ports, List<Integer> tlsPorts,
                     @JsonInclude(JsonInclude.Include.NON_NULL) List<Integer> listeningPorts) {}

    // allowedOrigins is left out when empty, so shares without it are stored as before.
    record ShareJson(int version, String workspaceId, int port, String level, List<String> users,
                     List<String> groups, String expiresAt,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> allowedOrigins) {}

    record PolicyJson(int version, String org, String document) {}

    public static byte[] encode(StoreRecord record) {
        requireNonNull(record, "record");
        Object json = switch (record) {
            case RouteRecord r -> new RouteJson(VERSION, r.workspaceId(), r.address(), r.host(), r.owner(), r.org(),
                    r.labels(), r.state().jsonName(), r.ports(), r.tlsPorts(), r.listeningPorts());
            case ShareRecord s -> new ShareJson(VERSION, s.workspaceId(), s.port(), s.share().level().configName(),
                    s.share().users().stream().sorted().toList(), s.share().groups().stream().sorted().toList(),
                    s.share().expiresAt() == null ? null : s.share().expiresAt().toString(),
                    s.share().allowedOrigins().stream().sorted().toList());
            case PolicyRecord p -> new PolicyJson(VERSION, p.org(), p.document());
        };
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + record.key(), e);
        }
    }

    /**
     * The record stored under {@code key}.
     *
     * @throws InvalidRecordException saying what is wrong, when the key is unknown, the value is not
     *         JSON, its version is not {@value #VERSION}, a field is invalid, or it names another key
     */
    public static StoreRecord decode(String key, byte[] value) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        JsonNode tree;
        try {
            tree = JSON.readTree(value);
        } catch (IOException e) {
            throw new InvalidRecordException(key + ": not JSON (" + firstLine(e) + ")", e);
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidRecordException(key + ": not a JSON object");
        }
        JsonNode version = tree.get("version");
        if (version == null || !version.isInt() || version.intValue() != VERSION) {
            throw new InvalidRecordException(key + ": version " + version + " (expected: " + VERSION
                    + "; a newer Portcullis may have written it)");
        }
        StoreRecord record;
        try {
            if (key.startsWith(StoreKeys.ROUTES)) {
                record = route(JSON.treeToValue(tree, RouteJson.class));
            } else if (key.startsWith(StoreKeys.SHARES)) {
                record = share(JSON.treeToValue(tree, ShareJson.class));
            } else if (key.startsWith(StoreKeys.POLICIES)) {
                PolicyJson json = JSON.treeToValue(tree, PolicyJson.class);
                record = PolicyRecord.parse(json.org(), json.document());
            } else {
                throw new InvalidRecordException(key + ": not a key Portcullis knows (expected: under "
                        + StoreKeys.ROUTES + ", " + StoreKeys.SHARES + " or " + StoreKeys.POLICIES + ")");
            }
        } catch (JsonProcessingException e) {
            throw new InvalidRecordException(key + ": " + firstLine(e), e);
        } catch (InvalidRecordException e) {
            throw e.getMessage().startsWith(key) ? e : new InvalidRecordException(key + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException | NullPointerException e) {
            // The policy model's constructors say what is wrong with IllegalArgumentException.
            throw new InvalidRecordException(key + ": " + e.getMessage(), e);
        }
        if (!record.key().equals(key)) {
            throw new InvalidRecordException(key + ": the record is for " + record.key() + " (expected: the key it is stored under)");
        }
        return record;
    }

    private static RouteRecord route(RouteJson json) {
        return new RouteRecord(json.workspaceId(), json.address(), json.host(), json.owner(), json.org(),
                json.labels() == null ? Map.of() : json.labels(), RouteState.ofJsonName(json.state()),
                json.ports() == null ? List.of() : json.ports(), json.tlsPorts() == null ? List.of() : json.tlsPorts(),
                json.listeningPorts());
    }

    private static ShareRecord share(ShareJson json) {
        if (json.level() == null) {
            throw new InvalidRecordException("level: missing (expected one of: " + ShareLevel.expectedNames() + ")");
        }
        Instant expiresAt;
        try {
            expiresAt = json.expiresAt() == null ? null : Instant.parse(json.expiresAt());
        } catch (DateTimeParseException e) {
            throw new InvalidRecordException("expiresAt: '" + json.expiresAt() + "' (expected: an ISO-8601 instant such as 2026-12-31T23:59:00Z)", e);
        }
        PortShare share = new PortShare(json.port(), ShareLevel.ofConfigName(json.level()),
                java.util.Set.copyOf(json.users() == null ? List.of() : json.users()),
                java.util.Set.copyOf(json.groups() == null ? List.of() : json.groups()), expiresAt,
                java.util.Set.copyOf(json.allowedOrigins() == null ? List.of() : json.allowedOrigins()));
        return new ShareRecord(json.workspaceId(), share);
    }

    private static String firstLine(Exception e) {
        String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.split("\n", 2)[0];
    }
}
