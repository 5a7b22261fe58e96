package dev.portcullis.store.etcd;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The etcd user a process signs in as ({@code etcd --auth-token}, roles granted with etcd's auth
 * API). The password lives in a file of its own, never in the config, so the config can be shown,
 * logged and versioned; nothing here prints it.
 *
 * @param passwordFile holds the password; one trailing line break is not part of it
 */
public record EtcdUser(String name, Path passwordFile) {
    private static final String KEY = "store.etcd.auth.";

    public EtcdUser {
        requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > 128 || !name.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw new InvalidKeyException(KEY + "user", "'" + name + "' (expected: 1-128 printable ASCII characters, no spaces)");
        }
        requireNonNull(passwordFile, "passwordFile");
        if (!passwordFile.isAbsolute()) {
            throw new InvalidKeyException(KEY + "passwordFile", "'" + passwordFile + "' (expected: an absolute path)");
        }
    }

    /** As a config section gives them: {@code null} for a key that is not there. */
    public static EtcdUser fromConfig(String name, Path passwordFile) {
        if (name == null || passwordFile == null) {
            throw new InvalidKeyException(KEY + (name == null ? "user" : "passwordFile"),
                    "missing (expected: both user and passwordFile)");
        }
        return new EtcdUser(name, passwordFile);
    }

    /**
     * Reads the password.
     *
     * @throws IllegalArgumentException naming the key and the file (never its content) when it is missing,
     *                                  unreadable, empty or not UTF-8
     */
    public String password() {
        String key = KEY + "passwordFile";
        String where = "'" + passwordFile + "': ";
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(passwordFile))).toString();
        } catch (NoSuchFileException e) {
            throw new InvalidKeyException(key, where + "no such file", e);
        } catch (AccessDeniedException e) {
            throw new InvalidKeyException(key, where + "cannot read it (permission denied)", e);
        } catch (CharacterCodingException e) {
            throw new InvalidKeyException(key, where + "not UTF-8 text", null);
        } catch (IOException e) {
            throw new InvalidKeyException(key, where + "cannot read it: " + e.getMessage(), e);
        }
        String password = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        if (password.isEmpty()) {
            throw new InvalidKeyException(key, where + "empty (expected: the password of etcd user '" + name + "')");
        }
        return password;
    }
}
