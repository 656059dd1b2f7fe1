package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The handler's decision per failure: retry an outage, fail on credentials, drop one unwritable record and go on. */
class DropUnwritableRecordsTest {
    record Case(Exception failure, ProductionExceptionHandlerResponse expected) {}

    static List<Case> cases() {
        return List.of(
                new Case(new RecordTooLargeException("1048577 bytes"), ProductionExceptionHandlerResponse.CONTINUE),
                new Case(new RecordBatchTooLargeException("batch"), ProductionExceptionHandlerResponse.CONTINUE),
                new Case(new IllegalStateException("anything else about this record"), ProductionExceptionHandlerResponse.CONTINUE),
                new Case(new TimeoutException("broker away"), ProductionExceptionHandlerResponse.RETRY),
                new Case(new NotLeaderOrFollowerException("moving"), ProductionExceptionHandlerResponse.RETRY),
                new Case(new TopicAuthorizationException("no ACL"), ProductionExceptionHandlerResponse.FAIL),
                new Case(new SaslAuthenticationException("bad password"), ProductionExceptionHandlerResponse.FAIL));
    }

    private static final ErrorHandlerContext CONTEXT = new ErrorHandlerContext() {
        @Override public String topic() { return "feedback"; }
        @Override public int partition() { return 3; }
        @Override public long offset() { return 42; }
        @Override public org.apache.kafka.common.header.Headers headers() { return new RecordHeaders(); }
        @Override public String processorNodeId() { return FeedbackDatasets.INTAKE; }
        @Override public TaskId taskId() { return new TaskId(0, 3); }
        @Override public long timestamp() { return 0; }
        @Override public byte[] sourceRawKey() { return null; }
        @Override public byte[] sourceRawValue() { return null; }
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachFailureGetsItsResponse(Case c) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("feedback-dlq", new byte[] {1}, new byte[2_000_000]);
        assertThat(new DropUnwritableRecords().handle(CONTEXT, record, c.failure())).isEqualTo(c.expected());
    }

    @org.junit.jupiter.api.Test
    void aRecordThatCannotBeSerializedIsDropped() {
        assertThat(new DropUnwritableRecords().handleSerializationException(CONTEXT, new ProducerRecord<>("training-requests", "x"),
                new SerializationException("no"), null)).isEqualTo(ProductionExceptionHandlerResponse.CONTINUE);
    }
}
