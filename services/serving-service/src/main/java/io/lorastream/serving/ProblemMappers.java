package io.lorastream.serving;

import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Exceptions to problem+json: fatal (fix the request: 400, 403, 404, 409) and retriable (429 or 503 with Retry-After). */
public class ProblemMappers {
    private static final int RETRY_AFTER_SECONDS = 2;
    private final ServingMetrics metrics;

    ProblemMappers(ServingMetrics metrics) {
        this.metrics = metrics;
    }

    @ServerExceptionMapper
    public Response invalid(TenantAccess.InvalidRequestException e) {
        metrics.rejected("invalid");
        return Problem.response(Response.Status.BAD_REQUEST, e.getMessage()).build();
    }

    @ServerExceptionMapper
    public Response forbidden(TenantAccess.ForbiddenException e) {
        metrics.rejected("forbidden");
        return Problem.response(Response.Status.FORBIDDEN, e.getMessage()).build();
    }

    @ServerExceptionMapper
    public Response noAdapter(ServedAdapters.NoAdapterException e) {
        metrics.rejected("no-adapter");
        return Problem.response(Response.Status.NOT_FOUND, e.getMessage()).build();
    }

    @ServerExceptionMapper
    public Response notReady(ServedAdapters.AdapterNotReadyException e) {
        metrics.rejected("not-ready");
        return Problem.response(Response.Status.SERVICE_UNAVAILABLE, e.getMessage()).header("Retry-After", RETRY_AFTER_SECONDS).build();
    }

    @ServerExceptionMapper
    public Response refused(AdminResource.CommandRefusedException e) {
        return Problem.response(Response.Status.CONFLICT, e.getMessage(), "urn:lorastream:command:" + e.commandId).build();
    }

    @ServerExceptionMapper
    public Response notSent(AdminResource.CommandNotSentException e) {
        return Problem.response(Response.Status.SERVICE_UNAVAILABLE, e.getMessage()).header("Retry-After", RETRY_AFTER_SECONDS).build();
    }

    @ServerExceptionMapper
    public Response overloaded(ScoringQueue.OverloadedException e) {
        metrics.rejected("overloaded");
        return Problem.response(Response.Status.TOO_MANY_REQUESTS, e.getMessage()).header("Retry-After", 1).build();
    }

    @ServerExceptionMapper
    public Response timedOut(Scoring.TimedOutException e) {
        metrics.rejected("timed-out");
        return Problem.response(Response.Status.SERVICE_UNAVAILABLE, e.getMessage()).header("Retry-After", RETRY_AFTER_SECONDS).build();
    }
}
