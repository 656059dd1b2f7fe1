package io.lorastream.engine;

import ai.djl.Device;

/** One embedded base per test JVM: loading it takes a second and 90 MB. */
final class Fixtures {
    private static BaseModel base;

    private Fixtures() {}

    static synchronized BaseModel base() {
        if (base == null) {
            base = BaseModel.embedded(Device.cpu());
            Runtime.getRuntime().addShutdownHook(new Thread(base::close));
        }
        return base;
    }
}
