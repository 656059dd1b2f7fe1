package io.lorastream.streams;

import io.lorastream.events.RolloutRule;
import io.lorastream.events.TenantIds;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.hibernate.validator.constraints.time.DurationMin;

/**
 * Everything the stream-processor reads from configuration ({@code application.properties},
 * environment variables such as {@code LORASTREAM_FEEDBACK_HOLDOUT_FRACTION}, system properties).
 * Each setting is declared here once, with its rule: Quarkus validates the constraints at start and
 * refuses to start on a value that breaks one, naming the key and the value.
 */
@ConfigMapping(prefix = "lorastream")
public interface StreamProcessorConfig {

    S3 s3();

    Feedback feedback();

    /** {@code lorastream.training-policy.defaults.*} and per tenant {@code lorastream.training-policy.tenants."acme".*}. */
    @WithName("training-policy") // the name it has anyway; spelled out so that validation errors name it so too
    Policies trainingPolicy();

    /** {@code lorastream.rollout.*}: canary share and the promote / roll-back rule ({@link RolloutRule}). */
    Rollout rollout();

    /** The sample counts, alpha, effect scale and margin must make a valid {@link RolloutRule}; its own checks say how. */
    @ConsistentSettings
    interface Rollout extends ConsistentSettings.Checked {
        /** Share of a tenant's traffic a candidate gets (by request hash). 0: a gate-passed version is promoted at once. */
        @WithDefault("0.0")
        @DecimalMin("0")
        @DecimalMax(value = "1", inclusive = false)
        double canaryShare();

        /** The candidate also scores stable's requests (answers still come from stable). */
        @WithDefault("false")
        boolean shadow();

        /** Labelled predictions each of candidate and stable need before a promotion. */
        @WithDefault("100")
        int minSamples();

        /** ... and before a roll-back on evidence. */
        @WithDefault("30")
        int minRollbackSamples();

        /** A candidate not promoted after this many is rolled back. */
        @WithDefault("1000")
        int maxSamples();

        /**
         * Level of the sequential test that the candidate is worse: the chance that a candidate as good as stable
         * is ever rolled back on evidence, however often the rule looks ({@link io.lorastream.events.RolloutRule}).
         */
        @WithDefault("0.01")
        double alpha();

        /** The accuracy difference (0.1 = 10 points) the roll-back test detects fastest: its mixing standard deviation τ. */
        @WithDefault("0.1")
        double effectScale();

        /** A candidate at most this much less accurate than stable may be promoted. */
        @WithDefault("0.02")
        double margin();

        /** How long a prediction waits for its label. */
        @WithDefault("P1D")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration labelWindow();

        default RolloutRule rule() {
            return new RolloutRule(minSamples(), minRollbackSamples(), maxSamples(), alpha(), margin(), effectScale());
        }

        @Override
        default List<String> inconsistencies() {
            try {
                rule();
                return List.of();
            } catch (IllegalArgumentException e) {
                return List.of(e.getMessage());
            }
        }
    }

    interface S3 {
        /** e.g. {@code http://127.0.0.1:9000} */
        String endpoint();

        @WithDefault("us-east-1")
        String region();

        String accessKey();

        String secretKey();

        @WithDefault("lorastream")
        String bucket();
    }

    interface Feedback {
        /** Share of each tenant's examples kept out of training, by a hash of the feedback id. */
        @WithDefault("0.2")
        @DecimalMin("0")
        @DecimalMax(value = "1", inclusive = false)
        double holdoutFraction();

        /** How long a feedback id is remembered to drop a second copy of it (by record time). */
        @WithDefault("P7D")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration dedupWindow();

        /** A shard is sealed (written to S3) when it holds this many examples ... */
        @WithDefault("500")
        @Min(1)
        int shardMaxExamples();

        /** ... or when its oldest example has waited this long. */
        @WithDefault("PT5S")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration shardMaxAge();

        /**
         * New training examples one request names at most (whole shards: the shard that reaches it is named too). After a
         * backlog, the rest wait for the tenant's next request.
         */
        @WithDefault("10000")
        @Min(1)
        int requestMaxExamples();

        /** A request's holdout: the newest holdout shards holding at least this many examples ... */
        @WithDefault("1000")
        @Min(1)
        int holdoutWindow();

        /** ... and a uniform sample of the older ones, at most this many examples (0: none). */
        @WithDefault("1000")
        @Min(0)
        int holdoutReservoir();

        /**
         * Training shards already named by a request are compacted, in the background, into one segment object when they
         * hold this many examples ...
         */
        @WithDefault("10000")
        @Min(1)
        int segmentExamples();

        /** ... or when the oldest of them was sealed this long ago, whichever comes first. */
        @WithDefault("P1D")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration segmentMaxAge();

        /**
         * What compaction copied, a holdout shard the holdout no longer selects, a snapshot its successor replaced, a segment
         * retention dropped: each is deleted from S3 this long after, so a job that is still behind (a trainer's backlog)
         * reads what its request named. A request older than this when its job starts may find its data gone.
         */
        @WithDefault("P1D")
        @DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}")
        Duration deleteGrace();

        /** Dataset retention by age: a segment whose newest shard was sealed this long ago is dropped ... */
        @WithDefault("P365D")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration datasetRetention();

        /** ... and by size: beyond this many examples in a tenant's segments, the oldest segments are dropped. */
        @WithDefault("1000000")
        @Min(1)
        int datasetMaxExamples();

        /** How often shard ages and time-based policies are checked (wall clock). */
        @WithDefault("PT1S")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration checkInterval();
    }

    /** Each tenant's policy, its own values over the defaults, must wait for no more examples than it requests on. */
    @ConsistentSettings
    interface Policies extends ConsistentSettings.Checked {
        Policy defaults();

        Map<@Pattern(regexp = TenantIds.REGEX) String, PolicyOverride> tenants();

        /** The policy that decides for a tenant: its own values where it has them, else the defaults. */
        default TrainingPolicy policy(String tenant) {
            Policy d = defaults();
            PolicyOverride o = tenants().get(tenant);
            if (o == null) {
                return new TrainingPolicy(d.minExamples(), d.maxWait(), d.minExamplesAfterWait(), d.minInterval(), d.answerTimeout());
            }
            int minExamples = o.minExamples().orElse(d.minExamples());
            // a tenant that lowers min-examples below the default after-wait count gets its own min-examples as that count
            int afterWait = o.minExamplesAfterWait().orElse(Math.min(d.minExamplesAfterWait(), minExamples));
            return new TrainingPolicy(minExamples, o.maxWait().orElse(d.maxWait()), afterWait, o.minInterval().orElse(d.minInterval()),
                    o.answerTimeout().orElse(d.answerTimeout()));
        }

        @Override
        default List<String> inconsistencies() {
            List<String> problems = new ArrayList<>();
            check("defaults", policy(""), problems);
            tenants().keySet().stream().sorted().forEach(tenant -> check("tenants.\"" + tenant + "\"", policy(tenant), problems));
            return problems;
        }

        private static void check(String key, TrainingPolicy policy, List<String> problems) {
            if (policy.minExamplesAfterWait() > policy.minExamples()) {
                problems.add(key + ".min-examples-after-wait=" + policy.minExamplesAfterWait()
                        + ": must be at most min-examples (" + policy.minExamples() + ")");
            }
        }
    }

    /**
     * The defaults are set for freshness (feedback to a served version in well under a minute at a steady flow): a request
     * goes as soon as the tenant's previous job answered and enough examples wait, rather than on a timer.
     */
    interface Policy {
        /** Request training once this many new training examples are waiting. */
        @WithDefault("100")
        @Min(1)
        int minExamples();

        /** ... or once the oldest waited this long, if at least min-examples-after-wait are waiting. */
        @WithDefault("PT10S")
        @DurationMin(millis = 1, message = "{lorastream.duration.positive}")
        Duration maxWait();

        @WithDefault("20")
        @Min(1)
        int minExamplesAfterWait();

        /** Never two requests for one tenant closer than this: bounds its versions per hour however fast the trainer is. */
        @WithDefault("PT5S")
        @DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}")
        Duration minInterval();

        /**
         * No request while the tenant's previous one has no answer from its job ({@code adapter-published} or
         * {@code training-failed}) — what waits meanwhile goes into one request when it answers — unless it was made this
         * long ago (a job that was dead-lettered or lost). PT0S: requests never wait for an answer.
         */
        @WithDefault("PT10M")
        @DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}")
        Duration answerTimeout();
    }

    /** A tenant's own values; what it leaves out comes from the defaults. */
    interface PolicyOverride {
        @Min(1)
        OptionalInt minExamples();

        Optional<@DurationMin(millis = 1, message = "{lorastream.duration.positive}") Duration> maxWait();

        @Min(1)
        OptionalInt minExamplesAfterWait();

        Optional<@DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}") Duration> minInterval();

        Optional<@DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}") Duration> answerTimeout();
    }
}
