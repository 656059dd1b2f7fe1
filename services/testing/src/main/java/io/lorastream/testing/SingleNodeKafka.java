package io.lorastream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** What the test brokers share: one KRaft node (broker and controller) in this JVM, and tidying up after it. */
final class SingleNodeKafka {
    private SingleNodeKafka() {}

    /** One combined node, its data under {@code dir}; the caller sets listeners and security on it. */
    static TestKitNodes.Builder node(Path dir) {
        return new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(dir);
    }

    /** One broker: every internal topic has one replica (transactions included, for exactly-once), no rebalance delay. */
    static KafkaClusterTestKit.Builder builder(TestKitNodes nodes) {
        return new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0");
    }

    static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // shutting down; nothing to do about it
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is not worth failing a test run for
        }
    }
}
