package io.lorastream.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** A fresh key pair per test run: the service verifies with one half, {@code Jwt.sign()} in tests signs with the other. */
public class TestTokenKeys implements QuarkusTestResourceLifecycleManager {
    private TestTokens tokens;

    @Override
    public Map<String, String> start() {
        tokens = TestTokens.create();
        return Map.of("mp.jwt.verify.publickey.location", tokens.publicKeyFile().toString(),
                "smallrye.jwt.sign.key.location", tokens.privateKeyFile().toString());
    }

    @Override
    public void stop() {
        tokens.close();
    }
}
