/**
 * The local stack without Docker: the command-line tool {@code ./lorastream} calls to create the
 * topics and bucket and to ask each component whether it is healthy. The broker and s3proxy
 * themselves run from the jars this module's build copies into {@code target/kafka/libs} and
 * {@code target/s3proxy}.
 */
package io.lorastream.local;
