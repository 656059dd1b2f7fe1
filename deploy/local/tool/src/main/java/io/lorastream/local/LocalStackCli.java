package io.lorastream.local;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccessGrant;
import io.lorastream.events.KafkaConnection;
import io.lorastream.events.Topics;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code provision} and {@code health} for the local stack; {@code ./lorastream} passes the endpoints. */
@Command(name = "lorastream-local", mixinStandardHelpOptions = true,
        subcommands = {LocalStackCli.Provision.class, LocalStackCli.Health.class})
public final class LocalStackCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalStackCli()).execute(args));
    }

    /** Where the components answer. */
    static final class Endpoints {
        @Option(names = "--kafka", required = true, description = "Kafka bootstrap servers")
        String kafka;

        @Option(names = "--s3", required = true, description = "S3 endpoint URL")
        String s3;

        @Option(names = "--access-key", required = true)
        String accessKey;

        @Option(names = "--secret-key", required = true)
        String secretKey;

        @Option(names = "--bucket", defaultValue = "lorastream")
        String bucket;

        @Option(names = "--kafka-config", description = "Kafka client properties: the operator's login (KEYS/kafka/operator.properties)")
        Path kafkaConfig;

        /** The bootstrap servers and the login, without timeouts. */
        Map<String, Object> kafkaClient() {
            Map<String, Object> config = KafkaConnection.fromFile(kafkaConfig);
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
            return config;
        }

        Admin admin(Duration timeout) {
            int millis = (int) timeout.toMillis();
            Map<String, Object> config = kafkaClient();
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
            return Admin.create(config);
        }

        MinioClient s3Client() {
            MinioClient client = MinioClient.builder().endpoint(s3).region("us-east-1").credentials(accessKey, secretKey).build();
            client.setTimeout(5_000, 5_000, 5_000);
            return client;
        }
    }

    @Command(name = "provision", description = "Create the topics of schemas/asyncapi.yaml and the bucket where missing.")
    static final class Provision implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Option(names = "--timeout", defaultValue = "60", description = "seconds to wait for Kafka and S3 to answer")
        int timeoutSeconds;

        @Option(names = "--kafka-credentials", description = "the services' Kafka passwords (KEYS/kafka): their SCRAM users "
                + "and ACLs are made (KafkaAccess); without it, none")
        Path kafkaCredentials;

        @Override
        public Integer call() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            boolean ok = provisionTopics(deadline) & provisionBucket(deadline);
            if (ok && kafkaCredentials != null) {
                grantAccess(deadline);
            }
            return ok ? 0 : 1;
        }

        private void grantAccess(long deadline) throws Exception {
            Map<KafkaAccess.Service, String> passwords = new LocalKafkaCredentials(kafkaCredentials).servicePasswords();
            Map<String, Object> client = new HashMap<>(KafkaConnection.of(endpoints.kafkaClient()));
            client.keySet().removeIf(key -> key.startsWith("sasl.")); // the operator's login; each service logs in as itself
            try (Admin admin = endpoints.admin(Duration.ofSeconds(10))) {
                KafkaAccessGrant.apply(admin, passwords, client, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
                System.out.printf("kafka user %-28s %d ACLs%n", service.user(), KafkaAccess.bindings(service).size());
            }
        }

        private boolean provisionTopics(long deadline) throws Exception {
            try (Admin admin = endpoints.admin(Duration.ofSeconds(10))) {
                Set<String> existing = retryUntil(deadline, "kafka at " + endpoints.kafka,
                        () -> admin.listTopics().names().get());
                List<NewTopic> missing = Topics.newTopics((short) 1).stream()
                        .filter(topic -> !existing.contains(topic.name())).toList();
                if (!missing.isEmpty()) {
                    admin.createTopics(missing).all().get();
                }
                // the controller has created them; the broker's metadata may learn of them a moment later
                Map<String, TopicDescription> described = retryUntil(deadline, "the topics' metadata", () -> admin.describeTopics(
                        Topics.ALL.stream().map(Topics.Spec::name).toList()).allTopicNames().get());
                Map<ConfigResource, Config> configs = retryUntil(deadline, "the topics' configs", () -> admin.describeConfigs(Topics.ALL.stream()
                        .map(spec -> new ConfigResource(ConfigResource.Type.TOPIC, spec.name())).toList()).all().get());
                boolean ok = true;
                for (Topics.Spec spec : Topics.ALL) {
                    int partitions = described.get(spec.name()).partitions().size();
                    String policy = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()))
                            .get("cleanup.policy").value();
                    boolean matches = partitions == spec.partitions() && policy.equals(spec.compacted() ? "compact" : "delete");
                    ok &= matches;
                    System.out.printf("topic %-18s %-8s partitions=%d cleanup.policy=%s%s%n", spec.name(),
                            existing.contains(spec.name()) ? "exists" : "created", partitions, policy,
                            matches ? "" : "  MISMATCH: expected partitions=" + spec.partitions()
                                    + " cleanup.policy=" + (spec.compacted() ? "compact" : "delete") + " (./lorastream reset recreates it)");
                }
                return ok;
            }
        }

        private boolean provisionBucket(long deadline) throws Exception {
            try (MinioClient client = endpoints.s3Client()) {
                boolean exists = retryUntil(deadline, "s3 at " + endpoints.s3,
                        () -> client.bucketExists(BucketExistsArgs.builder().bucket(endpoints.bucket).build()));
                if (!exists) {
                    client.makeBucket(MakeBucketArgs.builder().bucket(endpoints.bucket).region("us-east-1").build());
                }
                System.out.printf("bucket %-17s %s%n", endpoints.bucket, exists ? "exists" : "created");
                return true;
            }
        }
    }

    @Command(name = "health", description = "One line per component: NAME healthy|unhealthy DETAIL. Exit 0 only if all are healthy.")
    static final class Health implements Callable<Integer> {
        @Mixin
        Endpoints endpoints;

        @Override
        public Integer call() {
            Map<String, String> problems = new HashMap<>();
            try (Admin admin = endpoints.admin(Duration.ofSeconds(3))) {
                int brokers = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
                Set<String> topics = admin.listTopics().names().get(3, TimeUnit.SECONDS);
                long missing = Topics.ALL.stream().filter(spec -> !topics.contains(spec.name())).count();
                System.out.printf("kafka %s brokers=%d topics=%d/%d%n", missing == 0 ? "healthy" : "unhealthy",
                        brokers, Topics.ALL.size() - missing, Topics.ALL.size());
                if (missing > 0) {
                    problems.put("kafka", "topics missing");
                }
            } catch (Exception e) {
                System.out.printf("kafka unhealthy %s%n", rootMessage(e));
                problems.put("kafka", rootMessage(e));
            }
            try (MinioClient client = endpoints.s3Client()) {
                boolean bucket = client.bucketExists(BucketExistsArgs.builder().bucket(endpoints.bucket).build());
                System.out.printf("s3 %s bucket %s %s%n", bucket ? "healthy" : "unhealthy", endpoints.bucket, bucket ? "exists" : "missing");
                if (!bucket) {
                    problems.put("s3", "bucket missing");
                }
            } catch (Exception e) {
                System.out.printf("s3 unhealthy %s%n", rootMessage(e));
                problems.put("s3", rootMessage(e));
            }
            return problems.isEmpty() ? 0 : 1;
        }
    }

    /** Retries {@code call} until it succeeds or the deadline passes; then fails naming {@code what}. */
    static <T> T retryUntil(long deadline, String what, Callable<T> call) throws Exception {
        Exception last;
        do {
            try {
                return call.call();
            } catch (Exception e) {
                last = e;
                Thread.sleep(250);
            }
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException(what + " did not answer: " + rootMessage(last), last);
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
