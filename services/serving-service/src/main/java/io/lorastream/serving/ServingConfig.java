package io.lorastream.serving;

import io.lorastream.events.TenantIds;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;

/**
 * Everything serving-service reads from configuration, each setting declared once with its rule: the start
 * fails on a value that breaks one, naming the key and the value. Kafka settings are SmallRye's own
 * (application.properties).
 */
@ConfigMapping(prefix = "lorastream")
public interface ServingConfig {

    S3 s3();

    Serving serving();

    interface S3 {
        String endpoint();

        @WithDefault("us-east-1")
        String region();

        String accessKey();

        String secretKey();

        @WithDefault("lorastream")
        String bucket();
    }

    interface Serving {
        /** auto (CUDA when present, else CPU), cpu or gpu. */
        @WithDefault("auto")
        @Pattern(regexp = "auto|cpu|gpu")
        String device();

        /** Resident adapters at most, in bytes of their tensors; beyond it the least recently used go (pinned ones stay). */
        @WithDefault("268435456")
        @Min(1 << 20)
        long cacheMaxBytes();

        /** Tenants whose served adapter is never evicted. */
        Optional<Set<@Pattern(regexp = TenantIds.REGEX) String>> pinnedTenants();

        /**
         * Threads one operation of a forward may use on the CPU (libtorch's intra-op pool, process-wide);
         * absent: one per core. Set 1 where the cores are shared with other busy processes, as on the local
         * stack: a forward of a few short texts gains little from a second thread, and every operation waits for
         * it whenever the OS has given its core to another process (README "Serving").
         */
        @Min(1)
        @Max(1024)
        OptionalInt intraOpThreads();

        /** Texts scored in one forward at most; concurrent requests of any tenants share it. */
        @WithDefault("64")
        @Min(1)
        @Max(4096)
        int maxBatchTexts();

        /** Texts waiting for the scoring thread at most; beyond, requests are refused (429 with Retry-After; Kafka: retried, then dead-lettered). */
        @WithDefault("4096")
        @Min(1)
        int maxQueuedTexts();

        /** How long a scoring request waits for its predictions before it is answered 503 (Kafka: retried, then dead-lettered). */
        @WithDefault("PT30S")
        @DurationMin(millis = 100, message = "must be at least 0.1 s (was ${validatedValue})")
        java.time.Duration requestTimeout();

        /** Texts in one scoring request at most. */
        @WithDefault("256")
        @Min(1)
        @Max(100_000)
        int maxTextsPerRequest();

        /** Characters in one text at most (longer texts are refused, not truncated silently; tokens beyond the model's length are). */
        @WithDefault("20000")
        @Min(1)
        int maxTextLength();

        /** Threads fetching and loading new versions in the background. */
        @WithDefault("2")
        @Min(1)
        @Max(64)
        int loadThreads();

        /** This replica's name in events and metrics; default: the host name. */
        Optional<@Pattern(regexp = "(?=.*\\S).{1,128}", message = "must be 1 to 128 characters, not all blank (was \"${validatedValue}\")")
                String> replica();

        /** {@link #replica()}, or the host name. */
        default String replicaName() {
            return replica().orElseGet(() -> {
                try {
                    return InetAddress.getLocalHost().getHostName();
                } catch (UnknownHostException e) {
                    return "serving";
                }
            });
        }

        /**
         * How long an admin request waits for the stream-processor's answer to its command and for this
         * replica to serve the result; beyond it the answer is 202 with the command id (it is applied later).
         */
        @WithDefault("15S")
        @DurationMin(millis = 100, message = "must be at least 0.1 s (was ${validatedValue})")
        @DurationMax(minutes = 5, message = "must be at most 5 min (was ${validatedValue})")
        java.time.Duration commandTimeout();
    }
}
