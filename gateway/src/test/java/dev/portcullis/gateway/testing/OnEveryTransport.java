package dev.portcullis.gateway.testing;

import dev.portcullis.gateway.transport.Transport;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs every test of the class once per transport (io_uring, epoll, NIO), as Netty's own suite
 * does: the class takes the one it runs on in a field annotated
 * {@code @org.junit.jupiter.params.Parameter Transport transport}, and starts its gateway on it.
 * {@link GatewayFixture#start} skips, with the native library's reason, a transport this machine
 * lacks.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "{0}")
@EnumSource(Transport.class)
public @interface OnEveryTransport {}
