package io.loopbridge;

/** Lets a test that provokes default-handler reports on purpose withdraw them. */
final class LeakCheckExtensionAccess {
    private LeakCheckExtensionAccess() {
    }

    static void forget(int n) {
        LeakCheckExtension.forgetLast(n);
    }
}
