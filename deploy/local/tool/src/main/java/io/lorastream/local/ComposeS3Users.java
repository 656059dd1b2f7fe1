package io.lorastream.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * docker-compose's MinIO users, one per service that touches S3, each with the policy of deploy/k8s/base/s3-policies:
 * {@code KEYS/s3/SERVICE.env} (0600 in 0700) holds its {@code LORASTREAM_S3_ACCESS_KEY} and a random
 * {@code LORASTREAM_S3_SECRET_KEY}, read by compose as the service's {@code env_file} and by {@code minio-init}, which
 * makes the user. Made once; kept after. The local stack cannot use them: s3proxy has one identity.
 */
final class ComposeS3Users {
    /** The services that read or write S3 (ingest does not), as the policy files name them. */
    static final List<String> SERVICES = List.of("serving", "stream-processor", "trainer");

    private ComposeS3Users() {}

    static void ensure(Path dir) throws IOException {
        LocalTokens.createPrivateFolder(dir);
        for (String service : SERVICES) {
            Path file = dir.resolve(service + ".env");
            if (Files.exists(file)) {
                LocalTokens.narrow(file);
                continue;
            }
            LocalTokens.writePrivate(file, "# " + service + "'s own MinIO user in docker-compose; made by ./lorastream up or token\n"
                    + "LORASTREAM_S3_ACCESS_KEY='lorastream-" + service + "'\n"
                    + "LORASTREAM_S3_SECRET_KEY='" + LocalTokens.randomSecret() + "'\n");
        }
    }
}
