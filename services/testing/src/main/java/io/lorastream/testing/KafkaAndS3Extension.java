package io.lorastream.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/** JUnit extension behind {@link WithKafkaAndS3}: starts the shared infrastructure before a test class. */
public final class KafkaAndS3Extension implements BeforeAllCallback, ParameterResolver {

    @Override
    public void beforeAll(ExtensionContext context) {
        SharedInfrastructure.get();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Infrastructure.class || type == S3Endpoint.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Infrastructure infrastructure = SharedInfrastructure.get();
        return parameter.getParameter().getType() == S3Endpoint.class ? infrastructure.s3() : infrastructure;
    }
}
