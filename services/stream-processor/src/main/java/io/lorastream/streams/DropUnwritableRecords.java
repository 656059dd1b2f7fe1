package io.lorastream.streams;

import io.micrometer.core.instrument.Metrics;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.jboss.logging.Logger;

/**
 * What happens when an output record cannot be written (too large for the topic, not serializable): it is
 * dropped, logged and counted ({@code lorastream_streams_records_dropped_total{topic,reason}}), and the
 * stream goes on — one record never stops the stream-processor for every tenant. Kafka Streams' default
 * fails the application instead, and its restart meets the same record again.
 *
 * <p>Retriable errors are retried; authentication and authorization errors still fail the application,
 * since they fail every record until an operator fixes the credentials or ACLs. Dead letters are capped
 * ({@link io.lorastream.events.DeadLetter#MAX_PAYLOAD}) and training requests small, so dropping is for
 * what should never happen.
 */
public final class DropUnwritableRecords implements ProductionExceptionHandler {
    private static final Logger LOG = Logger.getLogger(DropUnwritableRecords.class);

    @Override
    public ProductionExceptionHandlerResponse handle(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof RetriableException) {
            return ProductionExceptionHandlerResponse.RETRY;
        }
        if (exception instanceof AuthenticationException || exception instanceof AuthorizationException) {
            return ProductionExceptionHandlerResponse.FAIL;
        }
        return dropped(context, record.topic(), record.value() == null ? 0 : record.value().length, exception);
    }

    @Override
    public ProductionExceptionHandlerResponse handleSerializationException(ErrorHandlerContext context, ProducerRecord record,
                                                                           Exception exception, SerializationExceptionOrigin origin) {
        return dropped(context, record.topic(), -1, exception);
    }

    private static ProductionExceptionHandlerResponse dropped(ErrorHandlerContext context, String topic, int bytes, Exception exception) {
        String reason = exception.getClass().getSimpleName();
        Metrics.counter("lorastream.streams.records.dropped", "topic", topic, "reason", reason).increment();
        LOG.errorf("dropped an output record for %s (%s bytes) produced from %s-%d@%d: %s", topic, bytes < 0 ? "?" : bytes,
                context.topic(), context.partition(), context.offset(), exception.toString());
        return ProductionExceptionHandlerResponse.CONTINUE;
    }

    @Override
    public void configure(Map<String, ?> configs) {}
}
