package io.lorastream.testing;

import java.util.Locale;

/**
 * One {@link Infrastructure} per JVM, started on first use and closed when the JVM ends:
 * JUnit extensions and Quarkus test resources of one test run share it.
 */
public final class SharedInfrastructure {
    /** Environment variable (or system property lorastream.test.infra) choosing the backend. */
    public static final String CHOICE = "LORASTREAM_TEST_INFRA";

    private static Infrastructure instance;

    private SharedInfrastructure() {}

    public static synchronized Infrastructure get() {
        if (instance == null) {
            Infrastructure started = start(choice());
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "lorastream-test-infrastructure-stop"));
            instance = started;
        }
        return instance;
    }

    private static String choice() {
        String value = System.getProperty("lorastream.test.infra", System.getenv(CHOICE));
        return value == null ? "auto" : value.toLowerCase(Locale.ROOT);
    }

    private static Infrastructure start(String choice) {
        return switch (choice) {
            case "embedded" -> EmbeddedInfrastructure.start();
            case "containers", "testcontainers" -> ContainerInfrastructure.start();
            case "auto" -> ContainerInfrastructure.dockerAvailable()
                    ? ContainerInfrastructure.start()
                    : EmbeddedInfrastructure.start();
            default -> throw new IllegalArgumentException(CHOICE + "=" + choice
                    + " is not one of auto, embedded, containers");
        };
    }
}
