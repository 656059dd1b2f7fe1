package io.lorastream.ingest;

import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Exceptions to problem+json responses: fatal (fix the request) and retriable (send it again later). */
public class ProblemMappers {
    private final IngestMetrics metrics;
    private final IngestConfig limits;

    ProblemMappers(IngestMetrics metrics, IngestConfig limits) {
        this.metrics = metrics;
        this.limits = limits;
    }

    @ServerExceptionMapper
    public Response invalid(InvalidBatchException e) {
        metrics.rejected("invalid");
        return Problem.response(Response.Status.BAD_REQUEST, e.getMessage(), e.errors()).build();
    }

    @ServerExceptionMapper
    public Response tooLarge(FeedbackBatch.BodyTooLargeException e) {
        metrics.rejected("too-large");
        return Problem.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, e.getMessage(), List.of()).build();
    }

    @ServerExceptionMapper
    public Response forbidden(TenantAccess.ForbiddenException e) {
        metrics.rejected("forbidden");
        return Problem.response(Response.Status.FORBIDDEN, e.getMessage(), List.of()).build();
    }

    @ServerExceptionMapper
    public Response unavailable(FeedbackPublisher.KafkaUnavailableException e) {
        metrics.rejected("kafka-unavailable");
        return Problem.response(Response.Status.SERVICE_UNAVAILABLE, e.getMessage() + "; send the batch again (ids make it safe)", List.of())
                .header("Retry-After", limits.retryAfter().toSeconds())
                .build();
    }
}
