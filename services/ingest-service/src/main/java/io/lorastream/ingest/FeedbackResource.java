package io.lorastream.ingest;

import io.lorastream.events.FeedbackReceived;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** {@code POST /v1/tenants/{tenant}/feedback}: labelled feedback into the {@code feedback} topic. */
@Path("/v1/tenants/{tenant}/feedback")
public class FeedbackResource {
    private final FeedbackPublisher publisher;
    private final IngestMetrics metrics;
    private final IngestConfig limits;
    private final JsonWebToken token;

    FeedbackResource(FeedbackPublisher publisher, IngestMetrics metrics, IngestConfig limits, JsonWebToken token) {
        this.publisher = publisher;
        this.metrics = metrics;
        this.limits = limits;
        this.token = token;
    }

    /** Items without an id get ids derived from it (else from the body), so a retry of the request cannot duplicate them. */
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** What a 202 says: how many were accepted, and each one's id (generated where the item had none), in order. */
    public record Accepted(int accepted, List<String> ids) {}

    @POST
    @RolesAllowed({TenantAccess.TENANT_ROLE, TenantAccess.ADMIN_ROLE})
    @Consumes({MediaType.APPLICATION_JSON, FeedbackBatch.NDJSON})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Send labelled feedback: one JSON object, a JSON array, or NDJSON lines of {id?, text, label, predictionId?, metadata?}")
    @APIResponse(responseCode = "202", description = "Every item acknowledged by Kafka")
    @APIResponse(responseCode = "400", description = "Refused whole (problem+json naming line and field); nothing published")
    @APIResponse(responseCode = "403", description = "The token is for another tenant")
    @APIResponse(responseCode = "413", description = "Body larger than lorastream.ingest.max-body-bytes")
    @APIResponse(responseCode = "503", description = "Kafka unreachable: send the same request again after Retry-After seconds; "
            + "items without an id get the same ids again (from the Idempotency-Key header, else the body), so nothing is duplicated")
    public Uni<Response> send(@PathParam("tenant") String tenant, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
                              @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey, byte[] body) {
        TenantAccess.check(token, tenant);
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw new InvalidBatchException(IDEMPOTENCY_KEY + ": 1 to 200 characters", List.of(new FieldError(0, null, IDEMPOTENCY_KEY,
                    "must be 1 to 200 characters, was " + idempotencyKey.length())));
        }
        boolean ndjson = contentType != null && contentType.startsWith(FeedbackBatch.NDJSON);
        List<FeedbackReceived> batch = FeedbackBatch.read(tenant, body == null ? new byte[0] : body, ndjson, limits, Instant.now(), idempotencyKey);
        Timer.Sample sample = Timer.start();
        return publisher.publish(batch).map(ignored -> {
            metrics.accepted(batch.size(), sample);
            return Response.accepted(new Accepted(batch.size(), batch.stream().map(FeedbackReceived::id).toList())).build();
        });
    }
}
