package io.lorastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.events.KafkaAccess;
import io.lorastream.events.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml and deploy/docker/Dockerfile cannot be run here (no Docker engine); this checks what
 * can be: the compose file parses (merge keys resolved as compose resolves them), creates exactly the
 * topics of schemas/asyncapi.yaml, and runs every service from an image of its own module, on the port its
 * application.properties names, reaching Kafka and MinIO inside the compose network, with a healthcheck on
 * its readiness endpoint; the GPU trainer is optional and reserves a GPU.
 */
class DockerComposeTest {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "../..")).toAbsolutePath().normalize();
    static final Map<String, String> MODULES = Map.of(
            "ingest", "ingest-service", "stream-processor", "stream-processor",
            "trainer", "trainer-service", "trainer-gpu", "trainer-service", "serving", "serving-service");
    static JsonNode services;
    static String dockerfile;

    @BeforeAll
    static void load() throws IOException {
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
            Object compose = new Yaml().load(reader);
            services = new ObjectMapper().valueToTree(compose).path("services");
        }
        dockerfile = Files.readString(ROOT.resolve("deploy/docker/Dockerfile"));
    }

    @Test
    void createsExactlyTheTopicsOfTheContract() {
        String specs = services.path("kafka-init").path("environment").path("TOPICS").asText();
        List<Topics.Spec> declared = new ArrayList<>();
        for (String spec : specs.trim().split("\\s+")) {
            String[] parts = spec.split(":");
            declared.add(new Topics.Spec(parts[0], Integer.parseInt(parts[1]), parts[2].equals("compact")));
        }
        assertThat(declared).containsExactlyElementsOf(Topics.ALL);
    }

    @Test
    void usesTheRealImagesWithHealthchecks() {
        assertThat(services.path("kafka").path("image").asText()).startsWith("apache/kafka:");
        assertThat(services.path("minio").path("image").asText()).startsWith("minio/minio:");
        assertThat(services.path("kafka").has("healthcheck")).isTrue();
        assertThat(services.path("minio").has("healthcheck")).isTrue();
        assertThat(services.path("kafka-init").path("depends_on").path("kafka").path("condition").asText())
                .isEqualTo("service_healthy");
        assertThat(services.path("minio-init").path("command").get(0).asText()).contains("mc mb --ignore-existing").contains("local/lorastream");
    }

    @Test
    void everyServiceRunsItsOwnModuleOnItsPortWithAReadinessCheck() throws IOException {
        String kafkaInternal = advertisedListener("INTERNAL");
        for (var entry : MODULES.entrySet()) {
            String name = entry.getKey();
            JsonNode service = services.path(name);
            assertThat(service.isMissingNode()).as(name).isFalse();
            JsonNode build = service.path("build");
            assertThat(build.path("context").asText()).as(name).isEqualTo(".");
            assertThat(ROOT.resolve(build.path("dockerfile").asText())).as(name).isEqualTo(ROOT.resolve("deploy/docker/Dockerfile"));
            assertThat(build.path("args").path("MODULE").asText()).as(name).isEqualTo(entry.getValue());
            assertThat(dockerfile).as("the Dockerfile accepts " + entry.getValue()).containsPattern("\\b" + entry.getValue() + "\\b[|)]");

            String port = applicationProperty(entry.getValue(), "quarkus.http.port");
            JsonNode environment = service.path("environment");
            assertThat(environment.path("QUARKUS_HTTP_PORT").asText()).as(name).isEqualTo(port);
            String managementPort = applicationProperty(entry.getValue(), "quarkus.management.port");
            assertThat(environment.path("QUARKUS_MANAGEMENT_PORT").asText()).as(name).isEqualTo(managementPort);
            if (service.has("ports")) {
                assertThat(service.path("ports").get(0).asText()).as(name).isEqualTo("127.0.0.1:" + port + ":" + port);
                assertThat(service.path("ports").toString()).as(name + ": health and metrics are not published").doesNotContain(managementPort);
            }
            assertThat(service.path("healthcheck").path("test").toString()).as(name)
                    .contains("QUARKUS_MANAGEMENT_PORT").contains("/q/health/ready");
            for (String init : List.of("kafka-init", "minio-init")) {
                assertThat(service.path("depends_on").path(init).path("condition").asText()).as(name + " waits for " + init)
                        .isEqualTo("service_completed_successfully");
            }
            assertThat(environment.path("KAFKA_BOOTSTRAP_SERVERS").asText()).as(name).isEqualTo(kafkaInternal);
            assertThat(environment.path("LORASTREAM_S3_ENDPOINT").asText()).as(name).isEqualTo("http://minio:9000");
            assertThat(environment.has("LORASTREAM_S3_ACCESS_KEY") || environment.has("LORASTREAM_S3_SECRET_KEY"))
                    .as(name + ": no S3 key in the environment (MinIO's root one was shared before; now each has its own env_file)").isFalse();
            assertThat(service.path("volumes").toString()).as(name + " token key").contains(":/keys:ro");
            assertThat(environment.path("LORASTREAM_TOKEN_PUBLIC_KEY").asText()).as(name).startsWith("/keys/");
        }
    }

    /**
     * Kafka authenticates every client and authorizes it: every listener is SASL, the ACL authorizer refuses what no rule
     * allows, and kafka-init creates exactly {@link KafkaAccess}'s users and ACLs (a changed line fails this). Each
     * service reads its own user's login from its env_file.
     */
    @Test
    void kafkaLetsEachServiceOnlyWhatKafkaAccessAllows() {
        JsonNode kafka = services.path("kafka").path("environment");
        for (String listener : kafka.path("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").asText().split(",")) {
            assertThat(listener).as("listener " + listener).endsWith(":SASL_PLAINTEXT");
        }
        assertThat(kafka.path("KAFKA_AUTHORIZER_CLASS_NAME").asText()).isEqualTo("org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        assertThat(kafka.path("KAFKA_SUPER_USERS").asText()).isEqualTo("User:operator");
        assertThat(kafka.path("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND").asText()).isEqualTo("false");
        assertThat(kafka.path("KAFKA_OPTS").asText()).contains("java.security.auth.login.config=/etc/lorastream/kafka/broker-jaas.conf");
        assertThat(services.path("kafka").path("healthcheck").path("test").toString()).contains("--command-config");

        JsonNode init = services.path("kafka-init");
        assertThat(List.of(init.path("environment").path("USERS").asText().trim().split("\\s+")))
                .containsExactlyElementsOf(Arrays.stream(KafkaAccess.Service.values()).map(KafkaAccess.Service::user).toList());
        List<AclBinding> acls = new ArrayList<>();
        for (String line : init.path("environment").path("ACLS").asText().trim().split("\\s+")) {
            String[] parts = line.split(":");
            assertThat(parts).as(line).hasSize(5);
            acls.add(new AclBinding(new ResourcePattern(ResourceType.fromString(parts[1].replace("-", "_")), parts[3],
                    PatternType.fromString(parts[2].toUpperCase(Locale.ROOT))),
                    new AccessControlEntry("User:" + parts[0], "*", AclOperation.fromString(parts[4]), AclPermissionType.ALLOW)));
        }
        assertThat(acls).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(KafkaAccess.allBindings());
        String script = init.path("command").get(0).asText();
        assertThat(script).contains("kafka-configs.sh \"$${login[@]}\"").contains("SCRAM-SHA-512=")
                .contains("kafka-acls.sh \"$${login[@]}\"").contains("--command-config /etc/lorastream/kafka/operator.properties");

        Map<String, KafkaAccess.Service> users = Map.of("ingest", KafkaAccess.Service.INGEST,
                "stream-processor", KafkaAccess.Service.STREAM_PROCESSOR, "trainer", KafkaAccess.Service.TRAINER,
                "trainer-gpu", KafkaAccess.Service.TRAINER, "serving", KafkaAccess.Service.SERVING);
        users.forEach((name, user) -> assertThat(envFiles(name)).as(name + " logs in as " + user.user())
                .anyMatch(file -> file.endsWith("/kafka/" + user.user() + ".env")));
    }

    /**
     * Each service that touches S3 logs in to MinIO as its own user, which minio-init makes with that service's policy
     * from deploy/k8s/base/s3-policies (the ones KubernetesManifestsTest checks); ingest has no S3 login at all.
     */
    @Test
    void eachServiceThatTouchesS3HasItsOwnMinioUserWithItsPolicy() throws IOException {
        List<String> policies;
        try (var files = Files.list(ROOT.resolve("deploy/k8s/base/s3-policies"))) {
            policies = files.map(f -> f.getFileName().toString().replace(".json", "")).sorted().toList();
        }
        JsonNode init = services.path("minio-init");
        assertThat(List.of(init.path("environment").path("S3_SERVICES").asText().trim().split("\\s+")))
                .containsExactlyInAnyOrderElementsOf(policies);
        assertThat(init.path("volumes").toString()).contains("./deploy/k8s/base/s3-policies:/policies:ro").contains("/s3:/users:ro");
        assertThat(init.path("command").get(0).asText()).contains("mc admin policy create local \"lorastream-$$service\" \"/policies/$$service.json\"")
                .contains("mc admin user add").contains("mc admin policy attach");
        Map<String, String> s3Users = Map.of("stream-processor", "stream-processor", "trainer", "trainer",
                "trainer-gpu", "trainer", "serving", "serving");
        s3Users.forEach((name, policy) -> assertThat(envFiles(name)).as(name).anyMatch(file -> file.endsWith("/s3/" + policy + ".env")));
        assertThat(envFiles("ingest")).as("ingest touches no S3").noneMatch(file -> file.contains("/s3/"));
    }

    /** A service's env_file entries (compose takes one path or a list). */
    private static List<String> envFiles(String service) {
        JsonNode envFile = services.path(service).path("env_file");
        List<String> files = new ArrayList<>();
        if (envFile.isArray()) {
            envFile.forEach(file -> files.add(file.asText()));
        } else if (!envFile.isMissingNode()) {
            files.add(envFile.asText());
        }
        return files;
    }

    @Test
    void theGpuTrainerIsOptionalAndReservesAGpu() throws IOException {
        JsonNode gpu = services.path("trainer-gpu");
        assertThat(gpu.path("profiles").toString()).contains("gpu");
        assertThat(services.path("trainer").has("profiles")).as("the CPU trainer always runs").isFalse();
        JsonNode device = gpu.path("deploy").path("resources").path("reservations").path("devices").get(0);
        assertThat(device.path("driver").asText()).isEqualTo("nvidia");
        assertThat(device.path("capabilities").toString()).contains("gpu");
        assertThat(gpu.path("environment").path("LORASTREAM_TRAINER_DEVICE").asText()).isEqualTo("gpu");
        assertThat(services.path("trainer").path("environment").path("LORASTREAM_TRAINER_DEVICE").asText()).isEqualTo("cpu");
        String profile = gpu.path("build").path("args").path("MAVEN_PROFILES").asText();
        assertThat(Files.readString(ROOT.resolve("pom.xml"))).contains("<id>" + profile + "</id>");
        assertThat(gpu.path("build").path("args").path("RUNTIME_IMAGE").asText()).startsWith("nvidia/cuda:12.4");
    }

    @Test
    void theDockerfileBuildsFromTheSourcesAlone() throws IOException {
        assertThat(dockerfile).contains("./mvnw").contains("-pl \"services/$MODULE\" -am package")
                .contains("target/quarkus-app/").contains("quarkus-run.jar");
        String ignored = Files.readString(ROOT.resolve(".dockerignore"));
        assertThat(ignored).contains("**/target/").contains(".lorastream/");
        assertThat(ROOT.resolve("mvnw")).exists();
        assertThat(ROOT.resolve(".mvn/wrapper/maven-wrapper.properties")).exists();
    }

    private static String advertisedListener(String name) {
        String listeners = services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        Matcher m = Pattern.compile(name + "://([^,]+)").matcher(listeners);
        assertThat(m.find()).as("kafka advertises " + name).isTrue();
        return m.group(1);
    }

    static String applicationProperty(String module, String key) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("services").resolve(module).resolve("src/main/resources/application.properties"))) {
            properties.load(reader);
        }
        return properties.getProperty(key);
    }
}
