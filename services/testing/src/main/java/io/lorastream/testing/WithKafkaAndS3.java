package io.lorastream.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/** Gives the test a real Kafka broker and S3 server: declare an {@link Infrastructure} or {@link S3Endpoint} parameter. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KafkaAndS3Extension.class)
public @interface WithKafkaAndS3 {}
