package io.lorastream.events;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Puts {@link KafkaAccess} into a cluster that authenticates with SCRAM-SHA-512 and authorizes with an ACL authorizer: a
 * SCRAM credential for each service's user and the table's ACLs, through an operator's (super user's) {@link Admin}. Doing
 * it again is harmless: a credential is replaced by one for the same password, an ACL that exists stays one ACL. Strimzi
 * does the same in deploy/k8s from its {@code KafkaUser}s; the local stack and the SASL test broker use this.
 */
public final class KafkaAccessGrant {
    /** The services' login mechanism; the operator may use another (the local stack and the test broker use PLAIN). */
    public static final String MECHANISM = "SCRAM-SHA-512";
    /** Kafka's default for SCRAM-SHA-512 (kafka-configs.sh uses it too). */
    private static final int ITERATIONS = 4096;

    private KafkaAccessGrant() {}

    /** The settings that log a client in as {@code user} with SCRAM-SHA-512; the caller adds bootstrap and protocol. */
    public static Map<String, Object> scramLogin(String user, String password) {
        return Map.of(SaslConfigs.SASL_MECHANISM, MECHANISM, SaslConfigs.SASL_JAAS_CONFIG, scramJaasConfig(user, password));
    }

    /** {@code sasl.jaas.config} for SCRAM as {@code user}: what a service's {@code KAFKA_SASL_JAAS_CONFIG} holds. */
    public static String scramJaasConfig(String user, String password) {
        return jaasConfig("org.apache.kafka.common.security.scram.ScramLoginModule", user, password);
    }

    /**
     * The settings that log a client in as {@code user} with PLAIN: the operator's, a super user the broker knows from its
     * own JAAS file (no stored credential, so it works before any SCRAM user exists).
     */
    public static Map<String, String> plainLogin(String user, String password) {
        return Map.of(SaslConfigs.SASL_MECHANISM, "PLAIN",
                SaslConfigs.SASL_JAAS_CONFIG, jaasConfig("org.apache.kafka.common.security.plain.PlainLoginModule", user, password));
    }

    private static String jaasConfig(String loginModule, String user, String password) {
        if (password.contains("\"") || password.contains("\\")) {
            throw new IllegalArgumentException("a password for " + user + " must not contain a quote or a backslash (JAAS syntax)");
        }
        return loginModule + " required username=\"" + user + "\" password=\"" + password + "\";";
    }

    /**
     * Creates (or replaces) each service's credential and the ACLs, then waits until the broker enforces both: it learns
     * them from the metadata log a moment after the controller has accepted them, and until then a login fails.
     *
     * @param client the bootstrap servers and security protocol a service connects with (no login: it is added per user)
     */
    public static void apply(Admin operator, Map<KafkaAccess.Service, String> passwords, Map<String, Object> client,
            Duration timeout) throws InterruptedException, ExecutionException {
        if (!passwords.keySet().containsAll(List.of(KafkaAccess.Service.values()))) {
            throw new IllegalArgumentException("a password for every service is needed, got " + passwords.keySet());
        }
        operator.alterUserScramCredentials(passwords.entrySet().stream()
                .map(entry -> (UserScramCredentialAlteration) new UserScramCredentialUpsertion(entry.getKey().user(),
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERATIONS), entry.getValue()))
                .toList()).all().get();
        operator.createAcls(KafkaAccess.allBindings()).all().get();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!operator.describeAcls(AclBindingFilter.ANY).values().get().containsAll(KafkaAccess.allBindings())) {
            awaitNext(deadline, "the broker did not apply the ACLs within " + timeout);
        }
        awaitLogins(passwords, client, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /**
     * Waits until each service's user logs in with its password: the broker applies a new credential a moment after the
     * controller has accepted it, and until then a login fails.
     */
    public static void awaitLogins(Map<KafkaAccess.Service, String> passwords, Map<String, Object> client, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Map.Entry<KafkaAccess.Service, String> entry : passwords.entrySet()) {
            awaitLogin(entry.getKey().user(), entry.getValue(), client, deadline, timeout);
        }
    }

    private static void awaitLogin(String user, String password, Map<String, Object> client, long deadline, Duration timeout)
            throws InterruptedException {
        Map<String, Object> config = new HashMap<>(client);
        config.putAll(scramLogin(user, password));
        config.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        while (true) {
            try (Admin admin = Admin.create(config)) {
                admin.describeCluster().clusterId().get();
                return;
            } catch (ExecutionException e) {
                awaitNext(deadline, user + " cannot log in within " + timeout + ": " + e.getCause());
            }
        }
    }

    private static void awaitNext(long deadline, String failure) throws InterruptedException {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException(failure);
        }
        Thread.sleep(100);
    }
}
