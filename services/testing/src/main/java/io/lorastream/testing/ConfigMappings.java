package io.lorastream.testing;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.validator.BeanValidationConfigValidator;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.time.Duration;
import java.util.Map;

/**
 * A service's {@code @ConfigMapping} group built from a few properties the way the service builds it at
 * start: the same defaults, conversions and Bean Validation constraints, without starting Quarkus. Tests use
 * it instead of a second, hand-built copy of the settings, so they exercise the declarations themselves.
 */
public final class ConfigMappings {
    private static final Validator VALIDATOR = Validation.buildDefaultValidatorFactory().getValidator();

    private ConfigMappings() {}

    /**
     * @param group  the mapping interface or one of its nested groups
     * @param prefix where the group sits, e.g. {@code lorastream.rollout}
     * @param values property names relative to the prefix ({@code canary-share}) and their values; the rest take defaults
     * @throws ConfigValidationException naming each key whose value breaks a constraint, as a start would
     */
    public static <T> T load(Class<T> group, String prefix, Map<String, String> values) {
        Map<String, String> properties = new java.util.HashMap<>();
        values.forEach((key, value) -> properties.put(prefix + "." + key, value));
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(group, prefix)
                .withSources(new PropertiesConfigSource(properties, "test properties", 500))
                .withValidator((BeanValidationConfigValidator) () -> VALIDATOR)
                // Quarkus' reading of durations: "15S", "2h" as well as ISO-8601
                .withConverter(Duration.class, 200, new DurationConverter())
                .build();
        return config.getConfigMapping(group, prefix);
    }
}
