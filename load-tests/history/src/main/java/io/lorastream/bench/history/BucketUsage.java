package io.lorastream.bench.history;

import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import java.util.HashMap;
import java.util.Map;

/** S3 objects and bytes per tenant, by listing the bucket: {@code datasets/{tenant}/…} and {@code adapters/{tenant}/…}. */
record BucketUsage(Map<String, Usage> byTenant) {
    record Usage(long objects, long bytes) {
        Usage plus(long size) {
            return new Usage(objects + 1, bytes + size);
        }
    }

    static BucketUsage list(MinioClient client, String bucket) throws Exception {
        Map<String, Usage> byTenant = new HashMap<>();
        for (String root : new String[] {"datasets/", "adapters/"}) {
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(root).recursive(true).build())) {
                Item item = result.get();
                String rest = item.objectName().substring(root.length());
                String tenant = rest.substring(0, rest.indexOf('/'));
                byTenant.merge(tenant, new Usage(1, item.size()), (a, b) -> a.plus(b.bytes()));
            }
        }
        return new BucketUsage(byTenant);
    }

    Usage of(String tenant) {
        return byTenant.getOrDefault(tenant, new Usage(0, 0));
    }

    /** The largest usage among the given tenants, by bytes. */
    Usage largest(Iterable<String> tenants) {
        Usage max = new Usage(0, 0);
        for (String t : tenants) {
            Usage u = of(t);
            if (u.bytes() > max.bytes()) {
                max = u;
            }
        }
        return max;
    }

    Usage total() {
        return byTenant.values().stream().reduce(new Usage(0, 0), (a, b) -> new Usage(a.objects() + b.objects(), a.bytes() + b.bytes()));
    }
}
