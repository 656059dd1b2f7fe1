package io.lorastream.serving;

/**
 * A tenant serves from up to two slots: its stable version (slot = the tenant id) and, during a canary,
 * its candidate (slot = {@code tenant/candidate}; tenant ids cannot contain '/').
 */
final class Slots {
    private static final String CANDIDATE = "/candidate";

    private Slots() {}

    static String stable(String tenant) {
        return tenant;
    }

    static String candidate(String tenant) {
        return tenant + CANDIDATE;
    }

    static String tenant(String slot) {
        return slot.endsWith(CANDIDATE) ? slot.substring(0, slot.length() - CANDIDATE.length()) : slot;
    }

    static boolean isCandidate(String slot) {
        return slot.endsWith(CANDIDATE);
    }
}
