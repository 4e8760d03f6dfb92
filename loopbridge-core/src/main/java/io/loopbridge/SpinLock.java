package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A short lock for state shared between threads and tasks ({@link BridgeQueue},
 * {@link CapacityLimiter}). Not {@code ReentrantLock} or {@code synchronized}: a FAST task and
 * its own loop thread may both contend, and a blocking lock can park the task while the loop
 * thread waits for the same lock, which only the parked task (needing the loop thread to run)
 * could release. Critical sections under it never park and never complete a future, so
 * spinning is short. Not reentrant. Thread-safe.
 */
final class SpinLock implements ParkingLot.Guard {
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(SpinLock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    @Override
    public void lock() {
        if (!STATE.compareAndSet(this, 0, 1)) {
            contended();
        }
    }

    private void contended() {
        int spins = 0;
        while (state != 0 || !STATE.compareAndSet(this, 0, 1)) {
            if (++spins < 128) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    @Override
    public void unlock() {
        STATE.setRelease(this, 0);
    }
}
