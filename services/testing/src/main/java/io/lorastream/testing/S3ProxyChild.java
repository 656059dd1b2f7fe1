package io.lorastream.testing;

import java.io.IOException;

/**
 * Main class of the s3proxy child JVM: runs s3proxy, and exits when its stdin reaches end of file,
 * which happens when the parent test JVM ends in any way. No orphan server outlives a test run.
 */
public final class S3ProxyChild {
    private S3ProxyChild() {}

    public static void main(String[] args) throws Exception {
        Thread watch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent never writes; we only wait for the pipe to close
                }
            } catch (IOException ignored) {
                // a broken pipe means the same: the parent is gone
            }
            Runtime.getRuntime().halt(0);
        }, "parent-watch");
        watch.setDaemon(true);
        watch.start();
        Class.forName("org.gaul.s3proxy.Main").getMethod("main", String[].class).invoke(null, (Object) args);
    }
}
