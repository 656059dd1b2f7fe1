package io.lorastream.serving;

import io.lorastream.events.ScoreCompleted;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/** {@code POST /v1/tenants/{tenant}/score}: texts in, a label and probabilities per text out, with the version that made them. */
@Path("/v1/tenants/{tenant}/score")
@RolesAllowed({TenantAccess.TENANT_ROLE, TenantAccess.ADMIN_ROLE})
public class ScoreResource {
    private static final Logger LOG = Logger.getLogger(ScoreResource.class);

    public record ScoreRequest(List<String> texts) {}

    /** @param route STABLE, or CANARY when the tenant's candidate answered */
    public record PredictionView(String predictionId, String label, Map<String, Double> probabilities, int version,
                                 ScoreCompleted.Route route) {}

    public record ScoreResponse(String requestId, String tenant, List<PredictionView> predictions) {}

    @Inject
    JsonWebToken token;

    private final Scoring scoring;
    private final ServingConfig.Serving settings;
    private final ServingMetrics metrics;
    private final MutinyEmitter<ScoreCompleted> results;

    ScoreResource(Scoring scoring, ServingConfig config, ServingMetrics metrics,
                  @Channel("score-results") MutinyEmitter<ScoreCompleted> results) {
        this.scoring = scoring;
        this.settings = config.serving();
        this.metrics = metrics;
        this.results = results;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public ScoreResponse score(@PathParam("tenant") String tenant, ScoreRequest request) throws InterruptedException {
        TenantAccess.check(token, tenant);
        List<String> texts = request == null ? null : request.texts();
        Scoring.checkTexts(settings, texts);
        ScoreCompleted completed = scoring.score(UUID.randomUUID().toString(), tenant, texts, ScoreCompleted.Source.REST);
        record(completed);
        return new ScoreResponse(completed.requestId(), tenant, completed.predictions().stream()
                .map(p -> new PredictionView(p.predictionId(), p.label(), p.probabilities(), p.version(), p.route())).toList());
    }

    /** On score-results for the rollout's join; not awaited: a Kafka hiccup costs evidence, not the answer. */
    private void record(ScoreCompleted completed) {
        results.sendMessage(Message.of(completed).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(completed.tenant()).build()))
                .subscribe().with(ok -> { }, failure -> {
                    metrics.unrecorded(completed.predictions().size());
                    LOG.warnf("predictions of %s not recorded on score-results: %s", completed.requestId(), failure.getMessage());
                });
    }
}
