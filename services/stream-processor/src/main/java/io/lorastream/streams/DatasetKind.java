package io.lorastream.streams;

/** The two halves of a tenant's dataset, each with its own folder in S3. */
public enum DatasetKind {
    TRAIN("shards"),
    HOLDOUT("holdout");

    private final String folder;

    DatasetKind(String folder) {
        this.folder = folder;
    }

    /** {@code datasets/{tenant}/shards/000001.jsonl}, {@code datasets/{tenant}/holdout/000001.jsonl}. */
    public String shardKey(String tenant, int seq) {
        return "datasets/" + tenant + "/" + folder + "/" + String.format("%06d", seq) + ".jsonl";
    }
}
