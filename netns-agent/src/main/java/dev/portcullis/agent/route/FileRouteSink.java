package dev.portcullis.agent.route;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.store.embedded.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Routes as a JSON array in one file, replaced atomically, for a gateway on the same machine to read. */
public final class FileRouteSink implements RouteSink {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Map<String, Route> routes = new TreeMap<>();

    public FileRouteSink(Path file) {
        this.file = requireNonNull(file, "file");
        if (Files.exists(file)) {
            try {
                for (Route route : JSON.readValue(file.toFile(), new TypeReference<List<Route>>() {})) {
                    routes.put(route.workspaceId(), route);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot read routes: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public synchronized void publish(Route route) {
        if (!route.equals(routes.put(route.workspaceId(), route))) {
            write();
        }
    }

    @Override
    public synchronized void withdraw(String workspaceId) {
        if (routes.remove(workspaceId) != null) {
            write();
        }
    }

    @Override
    public synchronized Map<String, Route> published() {
        return Map.copyOf(routes);
    }

    private void write() {
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(List.copyOf(routes.values())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode routes", e);
        }
    }
}
