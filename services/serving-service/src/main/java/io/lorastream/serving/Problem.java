package io.lorastream.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.Response;

/** RFC 9457 problem details, the body of every error this service returns. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance) {
    public static final String MEDIA_TYPE = "application/problem+json";

    static Response.ResponseBuilder response(Response.Status status, String detail) {
        return response(status, detail, null);
    }

    /** @param instance a URI naming this occurrence, e.g. the admin command refused */
    static Response.ResponseBuilder response(Response.Status status, String detail, String instance) {
        return Response.status(status).type(MEDIA_TYPE)
                .entity(new Problem("about:blank", status.getReasonPhrase(), status.getStatusCode(), detail, instance));
    }
}
