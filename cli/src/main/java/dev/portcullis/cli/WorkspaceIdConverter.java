package dev.portcullis.cli;

import dev.portcullis.policy.WorkspaceId;
import picocli.CommandLine;

/**
 * The workspace id rule of the gateway and the agent, applied before anything is sent: an id is put
 * into a request's path, where '?', '#', '/', CR/LF or non-ASCII would address another workspace or
 * inject a header. A bad id is a usage error ({@link ExitCode#USAGE}) in every command.
 */
public final class WorkspaceIdConverter implements CommandLine.ITypeConverter<WorkspaceId> {
    @Override
    public WorkspaceId convert(String value) {
        String problem = WorkspaceId.problemWith(value);
        if (problem != null) {
            throw new CommandLine.TypeConversionException(problem.replace("\r", "\\r").replace("\n", "\\n"));
        }
        return WorkspaceId.of(value);
    }
}
