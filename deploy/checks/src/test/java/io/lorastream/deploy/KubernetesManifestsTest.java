package io.lorastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.lorastream.events.KafkaAccess;
import io.lorastream.events.Topics;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s cannot be applied here (no cluster); each overlay is rendered by kustomize and checked
 * against the API models (RenderedManifests) and against the platform: the topics of the contract, every
 * reference resolvable, probes on the services' health endpoints, resources everywhere, GPUs for the
 * production trainers, an autoscaler for serving.
 */
class KubernetesManifestsTest {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "../..")).toAbsolutePath().normalize();

    /** The services and the port each listens on (their application.properties). */
    static final Map<String, Integer> SERVICES = Map.of("ingest", 8081, "trainer", 8082, "serving", 8083, "stream-processor", 8084);

    /** Secrets an operator creates before applying (the overlays' comments say how). */
    static final Map<String, Set<String>> CREATED_BY_OPERATOR = Map.of(
            "dev", Set.of("lorastream-token-key"),
            "production", Set.of()); // all generated from the files an operator puts in its secrets/

    /** The production overlay's secret files (git-ignored), as placeholders: it renders only with them. */
    static final Map<String, String> PRODUCTION_SECRETS = Map.of(
            "secrets/token-verify.pem", "-----BEGIN PUBLIC KEY-----\nplaceholder\n-----END PUBLIC KEY-----\n",
            "secrets/s3-serving.env", "access-key=serving-key\nsecret-key=serving-secret\n",
            "secrets/s3-stream-processor.env", "access-key=stream-processor-key\nsecret-key=stream-processor-secret\n",
            "secrets/s3-trainer.env", "access-key=trainer-key\nsecret-key=trainer-secret\n");

    /** Each service's own S3 user (a secret of its own) and the policy it gets. */
    static final Set<String> S3_USERS = Set.of("serving", "stream-processor", "trainer");

    /** The services' deployments and the Kafka user each logs in as. */
    static final Map<String, KafkaAccess.Service> KAFKA_USERS = Map.of("ingest", KafkaAccess.Service.INGEST,
            "stream-processor", KafkaAccess.Service.STREAM_PROCESSOR, "trainer", KafkaAccess.Service.TRAINER,
            "serving", KafkaAccess.Service.SERVING);

    /** Each overlay rendered once for all tests. */
    static final Map<String, RenderedManifests> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    static void needsKustomize() {
        assumeTrue(RenderedManifests.kustomizeAvailable(), "kubectl (with its kustomize) is not installed");
    }

    static RenderedManifests rendered(String overlay) throws Exception {
        RenderedManifests cached = RENDERED.get(overlay);
        if (cached == null) {
            cached = RenderedManifests.render(ROOT, overlay, overlay.equals("production") ? PRODUCTION_SECRETS : Map.of());
            RENDERED.put(overlay, cached);
        }
        return cached;
    }

    @Test
    void productionDoesNotRenderWithoutItsSecretsAndSaysWhichFileIsMissing() throws Exception {
        for (String missing : PRODUCTION_SECRETS.keySet()) {
            Map<String, String> files = new java.util.HashMap<>(PRODUCTION_SECRETS);
            files.remove(missing);
            // with no file at all nothing is copied: the overlay as checked in
            assertThatThrownBy(() -> RenderedManifests.render(ROOT, "production", files.isEmpty() ? Map.of() : files))
                    .as("production without " + missing).hasMessageContaining(missing);
        }
        assertThatThrownBy(() -> RenderedManifests.render(ROOT, "production")).as("as checked in: no secrets")
                .hasMessageContaining("secrets/");
        // and nothing of it is in the repository: the folder is git-ignored
        assertThat(java.nio.file.Files.exists(ROOT.resolve("deploy/k8s/overlays/production/secrets"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void eachServiceHasItsOwnS3UserWithItsOwnPolicy(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        for (String service : S3_USERS) {
            Map<String, String> environment = environment(rendered, service);
            for (String key : List.of("LORASTREAM_S3_ACCESS_KEY", "LORASTREAM_S3_SECRET_KEY")) {
                EnvVar env = container(rendered, service).getEnv().stream().filter(e -> e.getName().equals(key)).findFirst().orElseThrow();
                assertThat(env.getValueFrom().getSecretKeyRef().getName()).as(overlay + " " + service + " " + key)
                        .startsWith("lorastream-s3-" + service);
            }
            assertThat(environment).as(service).containsKey("LORASTREAM_S3_ENDPOINT");
        }
        assertThat(container(rendered, "ingest").getEnv()).as("ingest has no S3 credential")
                .noneMatch(e -> e.getName().startsWith("LORASTREAM_S3_"));
        ConfigMap policies = rendered.all(ConfigMap.class).filter(c -> c.getMetadata().getName().startsWith("lorastream-s3-policies"))
                .findFirst().orElseThrow();
        // what each may touch, by prefix: serving reads adapters/, the stream-processor writes datasets/, the trainer reads
        // datasets/ and writes adapters/
        Map<String, Map<String, Set<String>>> expected = Map.of(
                "serving", Map.of("adapters/", Set.of("s3:GetObject", "s3:ListBucket")),
                "stream-processor", Map.of("datasets/", Set.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket")),
                "trainer", Map.of("datasets/", Set.of("s3:GetObject", "s3:ListBucket"),
                        "adapters/", Set.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket")));
        for (String service : S3_USERS) {
            com.fasterxml.jackson.databind.JsonNode policy = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(policies.getData().get(service + ".json"));
            Map<String, Set<String>> granted = new java.util.TreeMap<>();
            for (com.fasterxml.jackson.databind.JsonNode statement : policy.path("Statement")) {
                assertThat(statement.path("Effect").asText()).isEqualTo("Allow");
                Set<String> actions = new java.util.TreeSet<>();
                statement.path("Action").forEach(a -> actions.add(a.asText()));
                if (actions.contains("s3:ListBucket")) {
                    assertThat(actions).containsExactly("s3:ListBucket");
                    assertThat(statement.path("Resource").get(0).asText()).isEqualTo("arn:aws:s3:::lorastream");
                    statement.path("Condition").path("StringLike").path("s3:prefix").forEach(p ->
                            granted.computeIfAbsent(p.asText().replace("*", ""), k -> new java.util.TreeSet<>()).add("s3:ListBucket"));
                } else {
                    statement.path("Resource").forEach(r -> {
                        assertThat(r.asText()).startsWith("arn:aws:s3:::lorastream/").endsWith("/*");
                        granted.computeIfAbsent(r.asText().substring("arn:aws:s3:::lorastream/".length()).replace("*", ""),
                                k -> new java.util.TreeSet<>()).addAll(actions);
                    });
                }
            }
            assertThat(granted).as(service + "'s policy").isEqualTo(expected.get(service));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void everyDocumentReadsIntoItsApiModel(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        assertThat(rendered.resources).isNotEmpty()
                .allSatisfy(r -> assertThat(r.getMetadata().getNamespace()).as(r.getKind() + " " + r.getMetadata().getName())
                        .isIn("lorastream", null));
        assertThat(rendered.all(Deployment.class).map(d -> d.getMetadata().getName()))
                .containsAll(SERVICES.keySet());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void topicsAreExactlyTheContractsOnTheClusterTheServicesUse(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        List<Kafka> clusters = rendered.all(Kafka.class).toList();
        assertThat(clusters).hasSize(1);
        Kafka kafka = clusters.get(0);
        String cluster = kafka.getMetadata().getName();

        List<Topics.Spec> declared = rendered.all(KafkaTopic.class)
                .map(t -> new Topics.Spec(t.getSpec().getTopicName() != null ? t.getSpec().getTopicName() : t.getMetadata().getName(),
                        t.getSpec().getPartitions(), "compact".equals(t.getSpec().getConfig().get("cleanup.policy"))))
                .toList();
        assertThat(declared).containsExactlyInAnyOrderElementsOf(Topics.ALL);

        int brokers = rendered.all(KafkaNodePool.class)
                .filter(pool -> cluster.equals(pool.getMetadata().getLabels().get("strimzi.io/cluster")))
                .filter(pool -> pool.getSpec().getRoles().toString().contains("BROKER"))
                .mapToInt(pool -> pool.getSpec().getReplicas()).sum();
        assertThat(brokers).isPositive();
        rendered.all(KafkaTopic.class).forEach(topic -> {
            assertThat(topic.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", cluster);
            assertThat(topic.getSpec().getReplicas()).as(topic.getMetadata().getName() + " replicas").isBetween(1, brokers);
            Object minIsr = topic.getSpec().getConfig().get("min.insync.replicas");
            assertThat(((Number) minIsr).intValue()).as(topic.getMetadata().getName() + " min.insync.replicas")
                    .isLessThanOrEqualTo(topic.getSpec().getReplicas());
        });
        Map<String, Object> brokerConfig = kafka.getSpec().getKafka().getConfig();
        for (String key : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor", "default.replication.factor")) {
            assertThat(((Number) brokerConfig.get(key)).intValue()).as(key).isBetween(1, brokers);
        }
        assertThat(brokerConfig.get("auto.create.topics.enable")).isEqualTo(false);

        // the services reach the cluster's one listener (TLS) through Strimzi's bootstrap service
        assertThat(kafka.getSpec().getKafka().getListeners()).hasSize(1);
        String bootstrap = cluster + "-kafka-bootstrap:" + kafka.getSpec().getKafka().getListeners().get(0).getPort();
        for (String service : SERVICES.keySet()) {
            assertThat(environment(rendered, service)).as(service).containsEntry("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        }
        int streamsReplication = Integer.parseInt(environment(rendered, "stream-processor").get("LORASTREAM_REPLICATION_FACTOR"));
        assertThat(streamsReplication).isBetween(1, brokers);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void everyReferenceResolves(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        Set<String> external = CREATED_BY_OPERATOR.get(overlay);
        pods(rendered).forEach((owner, pod) -> {
            for (Container container : pod.getContainers()) {
                String where = overlay + " " + owner + "/" + container.getName();
                Set<String> portNames = new java.util.HashSet<>();
                container.getPorts().forEach(p -> portNames.add(p.getName()));
                container.getEnvFrom().forEach(from -> {
                    if (from.getConfigMapRef() != null) {
                        rendered.one(ConfigMap.class, from.getConfigMapRef().getName());
                    }
                });
                for (EnvVar env : container.getEnv()) {
                    if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                        var ref = env.getValueFrom().getSecretKeyRef();
                        rendered.find(Secret.class, ref.getName()).ifPresentOrElse(
                                secret -> assertThat(secret.getData()).as(where + " " + env.getName()).containsKey(ref.getKey()),
                                () -> assertThat(union(external, madeByStrimzi(rendered).keySet())).as(where + " " + env.getName() + " secret")
                                        .contains(ref.getName()));
                        if (rendered.find(Secret.class, ref.getName()).isEmpty() && !external.contains(ref.getName())) {
                            assertThat(madeByStrimzi(rendered).get(ref.getName())).as(where + " " + env.getName() + " key").contains(ref.getKey());
                        }
                    }
                }
                Set<String> volumes = new java.util.HashSet<>();
                pod.getVolumes().forEach(v -> volumes.add(v.getName()));
                container.getVolumeMounts().forEach(m -> assertThat(volumes).as(where + " mount").contains(m.getName()));
                for (Probe probe : probes(container)) {
                    if (probe.getHttpGet() != null) {
                        assertThat(portNames).as(where + " probe port").contains(probe.getHttpGet().getPort().getStrVal());
                    }
                }
            }
            for (Volume volume : pod.getVolumes()) {
                if (volume.getSecret() != null) {
                    String name = volume.getSecret().getSecretName();
                    if (rendered.find(Secret.class, name).isEmpty()) {
                        assertThat(union(external, madeByStrimzi(rendered).keySet())).as(owner + " volume " + volume.getName()).contains(name);
                        if (madeByStrimzi(rendered).containsKey(name)) {
                            volume.getSecret().getItems().forEach(item -> assertThat(madeByStrimzi(rendered).get(name))
                                    .as(owner + " volume " + volume.getName() + " key").contains(item.getKey()));
                        }
                    }
                }
                if (volume.getPersistentVolumeClaim() != null) {
                    rendered.one(PersistentVolumeClaim.class, volume.getPersistentVolumeClaim().getClaimName());
                }
            }
        });
        // a Service selects the pods of one Deployment, by a port name they declare
        rendered.all(Service.class).forEach(service -> {
            Deployment target = rendered.all(Deployment.class)
                    .filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                            .containsAll(service.getSpec().getSelector().entrySet()))
                    .findFirst().orElseThrow(() -> new AssertionError(overlay + ": service " + service.getMetadata().getName() + " selects no pods"));
            assertThat(target.getSpec().getSelector().getMatchLabels())
                    .isEqualTo(target.getSpec().getTemplate().getMetadata().getLabels());
            Set<String> ports = new java.util.HashSet<>();
            target.getSpec().getTemplate().getSpec().getContainers().forEach(c -> c.getPorts().forEach(p -> ports.add(p.getName())));
            for (ServicePort port : service.getSpec().getPorts()) {
                assertThat(ports).as(service.getMetadata().getName() + " targetPort").contains(port.getTargetPort().getStrVal());
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void kafkaTakesOnlyScramOverTlsAndEachServiceHasExactlyItsAcls(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        Kafka kafka = rendered.one(Kafka.class, "lorastream");
        for (GenericKafkaListener listener : kafka.getSpec().getKafka().getListeners()) {
            assertThat(listener.isTls()).as(overlay + " listener " + listener.getName() + " tls").isTrue();
            assertThat(listener.getAuth()).as(overlay + " listener " + listener.getName() + " authentication")
                    .isInstanceOf(io.strimzi.api.kafka.model.kafka.listener.KafkaListenerAuthenticationScramSha512.class);
        }
        assertThat(kafka.getSpec().getKafka().getAuthorization())
                .isInstanceOf(io.strimzi.api.kafka.model.kafka.KafkaAuthorizationSimple.class);

        Map<String, KafkaUser> users = new java.util.HashMap<>();
        rendered.all(KafkaUser.class).forEach(u -> users.put(u.getMetadata().getName(), u));
        assertThat(users.keySet()).isEqualTo(Stream.of(KafkaAccess.Service.values()).map(KafkaAccess.Service::user)
                .collect(java.util.stream.Collectors.toSet()));
        for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
            KafkaUser user = users.get(service.user());
            assertThat(user.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "lorastream");
            assertThat(user.getSpec().getAuthentication()).isInstanceOf(KafkaUserScramSha512ClientAuthentication.class);
            Set<String> granted = new java.util.TreeSet<>();
            for (AclRule rule : ((KafkaUserAuthorizationSimple) user.getSpec().getAuthorization()).getAcls()) {
                assertThat(rule.getType()).isIn(null, io.strimzi.api.kafka.model.user.acl.AclRuleType.ALLOW);
                assertThat(rule.getHost()).isIn(null, "*");
                String resource = rule.getResource().getType() + " " + resourceName(rule.getResource());
                rule.getOperations().forEach(op -> granted.add(resource + " " + op.toValue()));
            }
            Set<String> table = new java.util.TreeSet<>();
            for (KafkaAccess.Rule rule : KafkaAccess.rules(service)) {
                String resource = switch (rule.type()) {
                    case TOPIC -> "topic";
                    case GROUP -> "group";
                    case TRANSACTIONAL_ID -> "transactionalId";
                    default -> throw new AssertionError("no Strimzi resource for " + rule.type());
                } + " " + rule.name() + (rule.pattern() == org.apache.kafka.common.resource.PatternType.PREFIXED ? "*" : "");
                // AclOperation.READ → Read, TRANSACTIONAL_ID's DESCRIBE → Describe
                rule.operations().forEach(op -> table.add(resource + " " + op.name().charAt(0) + op.name().substring(1).toLowerCase()));
            }
            assertThat(granted).as(overlay + " KafkaUser " + service.user() + " against KafkaAccess").isEqualTo(table);
        }
        // each service logs in as its own user, over TLS, trusting the cluster's CA
        for (Map.Entry<String, KafkaAccess.Service> entry : KAFKA_USERS.entrySet()) {
            Container container = container(rendered, entry.getKey());
            EnvVar jaas = container.getEnv().stream().filter(e -> e.getName().equals("KAFKA_SASL_JAAS_CONFIG")).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + " " + entry.getKey() + " has no KAFKA_SASL_JAAS_CONFIG"));
            assertThat(jaas.getValueFrom().getSecretKeyRef().getName()).as(entry.getKey()).isEqualTo(entry.getValue().user());
            Map<String, String> environment = environment(rendered, entry.getKey());
            assertThat(environment).containsEntry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL").containsEntry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
                    .containsEntry("KAFKA_BOOTSTRAP_SERVERS", "lorastream-kafka-bootstrap:9093");
            String truststore = environment.get("KAFKA_SSL_TRUSTSTORE_LOCATION");
            assertThat(container.getVolumeMounts()).as(entry.getKey() + " mounts the CA at " + truststore)
                    .anySatisfy(m -> assertThat(truststore).startsWith(m.getMountPath() + "/"));
        }
    }

    /** A topic's or group's name as Strimzi writes it, with {@code *} after a prefix. */
    private static String resourceName(io.strimzi.api.kafka.model.user.acl.AclRuleResource resource) {
        if (resource instanceof io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource topic) {
            return topic.getName() + (topic.getPatternType() == AclResourcePatternType.PREFIX ? "*" : "");
        }
        if (resource instanceof io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource group) {
            return group.getName() + (group.getPatternType() == AclResourcePatternType.PREFIX ? "*" : "");
        }
        if (resource instanceof io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource id) {
            return id.getName() + (id.getPatternType() == AclResourcePatternType.PREFIX ? "*" : "");
        }
        throw new AssertionError("a KafkaUser may name topics, groups and transactional ids only, not " + resource.getType());
    }

    /**
     * The secrets the Strimzi operator makes from what is rendered, with their keys: the cluster CA's certificate, and for
     * each KafkaUser with SCRAM, its password and login.
     */
    static Map<String, Set<String>> madeByStrimzi(RenderedManifests rendered) {
        Map<String, Set<String>> secrets = new java.util.HashMap<>();
        rendered.all(Kafka.class).forEach(k -> secrets.put(k.getMetadata().getName() + "-cluster-ca-cert", Set.of("ca.crt", "ca.p12", "ca.password")));
        rendered.all(KafkaUser.class).forEach(u -> secrets.put(u.getMetadata().getName(), Set.of("password", "sasl.jaas.config")));
        return secrets;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> union = new java.util.HashSet<>(a);
        union.addAll(b);
        return union;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void servicesAreProbedOnTheirHealthEndpointsAndBounded(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        Map<String, String> managementPorts = new java.util.HashMap<>();
        for (String name : SERVICES.keySet()) {
            managementPorts.put(name, DockerComposeTest.applicationProperty(name.equals("stream-processor") ? name : name + "-service",
                    "quarkus.management.port"));
        }
        SERVICES.forEach((name, port) -> {
            Container container = container(rendered, name);
            ContainerPort http = container.getPorts().stream().filter(p -> p.getName().equals("http")).findFirst().orElseThrow();
            assertThat(http.getContainerPort()).as(name + " port").isEqualTo(port);
            assertThat(environment(rendered, name)).as(name).containsEntry("QUARKUS_HTTP_PORT", String.valueOf(port));
            assertThat(container.getReadinessProbe().getHttpGet().getPath()).as(name).isEqualTo("/q/health/ready");
            assertThat(container.getLivenessProbe().getHttpGet().getPath()).as(name).isEqualTo("/q/health/live");
            assertThat(container.getStartupProbe()).as(name + " startup probe").isNotNull();
            // health and metrics live on the management interface (its port: the service's quarkus.management.port)
            ContainerPort management = container.getPorts().stream().filter(p -> p.getName().equals("management")).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + " " + name + " declares no management port"));
            assertThat(String.valueOf(management.getContainerPort())).as(name + " management port")
                    .isEqualTo(managementPorts.get(name));
            for (Probe probe : probes(container)) {
                assertThat(probe.getHttpGet().getPort().getStrVal()).as(name + " probes the management port").isEqualTo("management");
            }
            if (!name.equals("ingest")) {
                assertThat(environment(rendered, name)).as(name).containsKeys("LORASTREAM_S3_ENDPOINT", "LORASTREAM_S3_ACCESS_KEY", "LORASTREAM_S3_SECRET_KEY");
            }
        });
        // a Service carries the API only: the management port is not reachable through it, nor from outside the cluster
        rendered.all(Service.class).forEach(service -> service.getSpec().getPorts().forEach(port -> assertThat(port.getTargetPort().getStrVal())
                .as(overlay + " service " + service.getMetadata().getName()).isNotEqualTo("management")));
        for (String tokenChecker : List.of("ingest", "serving")) {
            assertThat(container(rendered, tokenChecker).getVolumeMounts()).as(tokenChecker)
                    .anySatisfy(m -> assertThat(environment(rendered, tokenChecker).get("LORASTREAM_TOKEN_PUBLIC_KEY")).startsWith(m.getMountPath() + "/"));
        }
        pods(rendered).forEach((owner, pod) -> pod.getContainers().forEach(c -> {
            assertThat(c.getResources().getRequests()).as(overlay + " " + owner + " requests").containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).as(overlay + " " + owner + " limits").containsKey("memory");
            assertThat(Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")))
                    .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(c.getResources().getRequests().get("memory")));
        }));
    }

    @Test
    void productionTrainersRunOnTheGpuPoolAndDevOnCpu() throws Exception {
        Container gpu = container(rendered("production"), "trainer");
        PodSpec gpuPod = pod(rendered("production"), "trainer");
        assertThat(gpu.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(gpuPod.getNodeSelector()).isNotEmpty();
        assertThat(gpuPod.getTolerations()).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
        assertThat(gpu.getImage()).contains("trainer-service-gpu");
        assertThat(environment(rendered("production"), "trainer")).containsEntry("LORASTREAM_TRAINER_DEVICE", "gpu");

        RenderedManifests dev = rendered("dev");
        Container cpu = container(dev, "trainer");
        assertThat(cpu.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(cpu.getResources().getRequests()).doesNotContainKey("nvidia.com/gpu");
        assertThat(pod(dev, "trainer").getNodeSelector()).isNullOrEmpty();
        assertThat(pod(dev, "trainer").getTolerations()).isNullOrEmpty();
        assertThat(cpu.getImage()).startsWith("lorastream/trainer-service:");
        assertThat(environment(dev, "trainer")).containsEntry("LORASTREAM_TRAINER_DEVICE", "cpu");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "production"})
    void servingScalesWithAnAutoscalerAndS3IsReachable(String overlay) throws Exception {
        RenderedManifests rendered = rendered(overlay);
        List<HorizontalPodAutoscaler> autoscalers = rendered.all(HorizontalPodAutoscaler.class).toList();
        assertThat(autoscalers).hasSize(1);
        var hpa = autoscalers.get(0).getSpec();
        assertThat(hpa.getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getScaleTargetRef().getName()).isEqualTo("serving");
        assertThat(hpa.getMinReplicas()).isPositive().isLessThanOrEqualTo(hpa.getMaxReplicas());
        assertThat(hpa.getMetrics()).isNotEmpty();

        String endpoint = environment(rendered, "serving").get("LORASTREAM_S3_ENDPOINT");
        if (overlay.equals("dev")) {
            // MinIO in the namespace, its bucket made by a Job with the same credentials
            Service minio = rendered.one(Service.class, "minio");
            assertThat(endpoint).isEqualTo("http://minio:" + minio.getSpec().getPorts().get(0).getPort());
            Job bucket = rendered.one(Job.class, "minio-bucket");
            assertThat(String.join(" ", bucket.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()))
                    .contains("local/" + environment(rendered, "serving").getOrDefault("LORASTREAM_S3_BUCKET", "lorastream"));
        } else {
            assertThat(endpoint).startsWith("https://");
            assertThat(rendered.find(Service.class, "minio")).isEmpty();
        }
    }

    @Test
    void aMisspeltFieldIsAnError() {
        String misspelt = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: serving
                spec:
                  replicas: 1
                  template:
                    spec:
                      containers:
                        - name: serving
                          image: x
                          readinesProbe:
                            httpGet:
                              path: /q/health/ready
                              port: http
                """;
        assertThatThrownBy(() -> RenderedManifests.read("test", misspelt))
                .hasMessageContaining("apps/v1/Deployment serving").hasMessageContaining("readinesProbe");
        String wrongType = misspelt.replace("readinesProbe", "readinessProbe").replace("replicas: 1", "replicas: two");
        assertThatThrownBy(() -> RenderedManifests.read("test", wrongType)).hasMessageContaining("replicas");
        String unknownKind = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n";
        assertThatThrownBy(() -> RenderedManifests.read("test", unknownKind)).hasMessageContaining("not a kind");
        String strimziTypo = """
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata:
                  name: feedback
                spec:
                  partitons: 6
                """;
        assertThatThrownBy(() -> RenderedManifests.read("test", strimziTypo)).hasMessageContaining("partitons");
    }

    // --- the rendered pods ------------------------------------------------------------------------

    static Map<String, PodSpec> pods(RenderedManifests rendered) {
        Map<String, PodSpec> pods = new java.util.LinkedHashMap<>();
        rendered.all(Deployment.class).forEach(d -> pods.put("deployment/" + d.getMetadata().getName(), d.getSpec().getTemplate().getSpec()));
        rendered.all(Job.class).forEach(j -> pods.put("job/" + j.getMetadata().getName(), j.getSpec().getTemplate().getSpec()));
        return pods;
    }

    static PodSpec pod(RenderedManifests rendered, String deployment) {
        return rendered.one(Deployment.class, deployment).getSpec().getTemplate().getSpec();
    }

    static Container container(RenderedManifests rendered, String deployment) {
        return pod(rendered, deployment).getContainers().get(0);
    }

    /** A container's environment as the pod sees it: envFrom config maps, then env (valueFrom shown as a reference). */
    static Map<String, String> environment(RenderedManifests rendered, String deployment) {
        Container container = container(rendered, deployment);
        Map<String, String> environment = new java.util.HashMap<>();
        container.getEnvFrom().stream().filter(f -> f.getConfigMapRef() != null)
                .forEach(f -> environment.putAll(rendered.one(ConfigMap.class, f.getConfigMapRef().getName()).getData()));
        for (EnvVar env : container.getEnv()) {
            environment.put(env.getName(), env.getValue() != null ? env.getValue() : "<from " + env.getValueFrom() + ">");
        }
        return environment;
    }

    static List<Probe> probes(Container container) {
        List<Probe> probes = new ArrayList<>();
        Stream.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe())
                .filter(java.util.Objects::nonNull).forEach(probes::add);
        return probes;
    }
}
