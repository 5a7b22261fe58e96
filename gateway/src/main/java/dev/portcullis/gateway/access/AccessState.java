package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyError;
import dev.portcullis.policy.parse.PolicyParser;
import dev.portcullis.policy.parse.SharesFile;
import dev.portcullis.store.embedded.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The gateway's embedded policy state: org policies and port shares, kept in a folder
 * ({@code policies/<org>.yaml}, {@code shares/<workspace>.yaml}) or only in memory. Every change is
 * validated first, written atomically (temp file, fsync, rename), then published as a new
 * {@link AccessSnapshot}; a change that fails validation is not written and not applied, and a
 * crash never leaves half a file. Writers are serialized; readers take {@link #current()} without a lock.
 */
public final class AccessState {
    private static final Pattern ORG_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path folder;
    private final PolicyParser parser = new PolicyParser();
    private final List<Consumer<AccessSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile AccessSnapshot current;

    private AccessState(Path folder, AccessSnapshot initial) {
        this.folder = folder;
        this.current = initial;
    }

    /** State that lives as long as the process: for tests and the demo without a state folder. */
    public static AccessState inMemory(OrgPolicy fallback) {
        return new AccessState(null, AccessSnapshot.empty(fallback));
    }

    /**
     * Loads the state kept in {@code folder} (created when missing).
     *
     * @throws InvalidStateException naming every file, line and field in error; nothing is loaded then
     */
    public static AccessState open(Path folder, OrgPolicy fallback) throws IOException {
        Files.createDirectories(folder.resolve("policies"));
        Files.createDirectories(folder.resolve("shares"));
        // Shares on disk may have expired since they were written: they load, then deny (share-expired).
        PolicyParser stored = new PolicyParser(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        AccessSnapshot snapshot = AccessSnapshot.empty(fallback);
        List<PolicyError> errors = new ArrayList<>();
        for (Path file : yamlFiles(folder.resolve("policies"))) {
            ParseResult<OrgPolicy> parsed = stored.parsePolicy(file);
            errors.addAll(parsed.errors());
            if (parsed instanceof ParseResult.Success<OrgPolicy>(OrgPolicy policy)) {
                String expected = baseName(file);
                if (!expected.equals(policy.org())) {
                    errors.add(new PolicyError(file.toString(), 1, 1, "org", "'" + policy.org()
                            + "' (expected: '" + expected + "', the name of the file)"));
                } else {
                    snapshot = snapshot.withPolicy(policy);
                }
            }
        }
        for (Path file : yamlFiles(folder.resolve("shares"))) {
            ParseResult<SharesFile> parsed = stored.parseShares(file);
            errors.addAll(parsed.errors());
            if (parsed instanceof ParseResult.Success<SharesFile>(SharesFile shares)) {
                snapshot = snapshot.withShares(shares.workspace().value(), shares.shares());
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidStateException(errors);
        }
        return new AccessState(folder, snapshot);
    }

    public AccessSnapshot current() {
        return current;
    }

    /** Where the state is kept, if on disk. */
    public Optional<Path> folder() {
        return Optional.ofNullable(folder);
    }

    /** Called with each new snapshot, on the thread that made the change, after it took effect. */
    public void addListener(Consumer<AccessSnapshot> listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /**
     * Validates {@code text} as the policy of {@code org} and, when valid, stores and applies it.
     *
     * @param source how errors name the input (the admin's file name, say)
     * @return the errors, none when the policy now applies
     */
    public synchronized List<PolicyError> putPolicy(String org, String source, String text) {
        String problem = problemWithOrg(org);
        if (problem != null) {
            return List.of(new PolicyError(source, 1, 1, "org", problem));
        }
        ParseResult<OrgPolicy> parsed = parser.parsePolicy(source, text);
        if (!(parsed instanceof ParseResult.Success<OrgPolicy>(OrgPolicy policy))) {
            return parsed.errors();
        }
        if (!org.equals(policy.org())) {
            return List.of(new PolicyError(source, 1, 1, "org", (policy.org() == null ? "missing" : "'" + policy.org() + "'")
                    + " (expected: '" + org + "', the org this policy is applied to)"));
        }
        write(policyFile(org), text);
        publish(current.withPolicy(policy));
        return List.of();
    }

    /** The policy of {@code org} as its admin wrote it, if it has one and the state is on disk. */
    public Optional<String> policyText(String org) {
        if (folder == null || problemWithOrg(org) != null || !Files.isRegularFile(policyFile(org))) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(policyFile(org), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the policy of {@code org}: its workspaces follow the fallback policy again. */
    public synchronized boolean deletePolicy(String org) {
        if (problemWithOrg(org) != null || current.policyOf(org) == null) {
            return false;
        }
        delete(policyFile(org));
        publish(current.withoutPolicy(org));
        return true;
    }

    /** Sets (or replaces) the share of one port of {@code workspaceId}. */
    public synchronized void putShare(WorkspaceId workspaceId, PortShare share) {
        List<PortShare> shares = new ArrayList<>(current.sharesOf(workspaceId.value()).all());
        shares.removeIf(existing -> existing.port() == share.port());
        shares.add(share);
        storeShares(workspaceId, PortShares.of(shares));
    }

    /** Removes the share of {@code port}; the port is then the owner's alone. */
    public synchronized boolean deleteShare(WorkspaceId workspaceId, int port) {
        List<PortShare> shares = new ArrayList<>(current.sharesOf(workspaceId.value()).all());
        if (!shares.removeIf(existing -> existing.port() == port)) {
            return false;
        }
        storeShares(workspaceId, PortShares.of(shares));
        return true;
    }

    private void storeShares(WorkspaceId workspaceId, PortShares shares) {
        Path file = folder == null ? null : folder.resolve("shares").resolve(workspaceId.value() + ".yaml");
        if (shares.all().isEmpty()) {
            delete(file);
        } else {
            write(file, new SharesFile(workspaceId, shares).toYaml());
        }
        publish(current.withShares(workspaceId.value(), shares));
    }

    private void publish(AccessSnapshot next) {
        current = next;
        for (Consumer<AccessSnapshot> listener : listeners) {
            listener.accept(next);
        }
    }

    private Path policyFile(String org) {
        return folder == null ? null : folder.resolve("policies").resolve(org + ".yaml");
    }

    /** Why {@code org} cannot name a policy (it becomes a file name), or {@code null}. */
    public static String problemWithOrg(String org) {
        if (org == null || !ORG_NAME.matcher(org).matches()) {
            return "'" + org + "' (expected: 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit)";
        }
        return null;
    }

    /** Readers and crashes see the old file or the new one (see {@link AtomicFiles}). */
    private static void write(Path target, String text) {
        if (target != null) {
            AtomicFiles.write(target, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void delete(Path target) {
        if (target != null) {
            AtomicFiles.delete(target);
        }
    }

    private static List<Path> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".yaml")
                                     && !f.getFileName().toString().startsWith("."))
                        .sorted().toList();
        }
    }

    private static String baseName(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".yaml".length());
    }

    /** The state folder holds a file that does not validate; the gateway does not start half-configured. */
    public static final class InvalidStateException extends IOException {
        private final List<PolicyError> errors;

        InvalidStateException(List<PolicyError> errors) {
            super("the access state is not valid:\n  " + String.join("\n  ", errors.stream().map(PolicyError::toString).toList()));
            this.errors = List.copyOf(errors);
        }

        public List<PolicyError> errors() {
            return errors;
        }
    }
}
