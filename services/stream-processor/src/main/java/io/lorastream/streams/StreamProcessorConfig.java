package io.lorastream.streams;

import io.lorastream.events.RolloutRule;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything the stream-processor reads from configuration ({@code application.properties},
 * environment variables such as {@code LORASTREAM_FEEDBACK_HOLDOUT_FRACTION}, system properties).
 * Values that types cannot check are checked at start by {@link FeedbackSettings#from}, naming key and value.
 */
@ConfigMapping(prefix = "lorastream")
public interface StreamProcessorConfig {

    S3 s3();

    Feedback feedback();

    /** {@code lorastream.training-policy.defaults.*} and per tenant {@code lorastream.training-policy.tenants."acme".*}. */
    Policies trainingPolicy();

    /** {@code lorastream.rollout.*}: canary share and the promote / roll-back rule ({@link RolloutRule}). */
    Rollout rollout();

    interface Rollout {
        /** Share of a tenant's traffic a candidate gets (by request hash). 0: a gate-passed version is promoted at once. */
        @WithDefault("0.0")
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
        Duration labelWindow();
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
        double holdoutFraction();

        /** How long a feedback id is remembered to drop a second copy of it (by record time). */
        @WithDefault("P7D")
        Duration dedupWindow();

        /** A shard is sealed (written to S3) when it holds this many examples ... */
        @WithDefault("500")
        int shardMaxExamples();

        /** ... or when its oldest example has waited this long. */
        @WithDefault("PT5S")
        Duration shardMaxAge();

        /** How often shard ages and time-based policies are checked (wall clock). */
        @WithDefault("PT1S")
        Duration checkInterval();
    }

    interface Policies {
        Policy defaults();

        Map<String, PolicyOverride> tenants();
    }

    interface Policy {
        /** Request training once this many new training examples are waiting. */
        @WithDefault("200")
        int minExamples();

        /** ... or once the oldest waited this long, if at least min-examples-after-wait are waiting. */
        @WithDefault("PT60S")
        Duration maxWait();

        @WithDefault("20")
        int minExamplesAfterWait();

        /** Never two requests for one tenant closer than this. */
        @WithDefault("PT30S")
        Duration minInterval();
    }

    /** A tenant's own values; what it leaves out comes from the defaults. */
    interface PolicyOverride {
        OptionalInt minExamples();

        Optional<Duration> maxWait();

        OptionalInt minExamplesAfterWait();

        Optional<Duration> minInterval();
    }
}
