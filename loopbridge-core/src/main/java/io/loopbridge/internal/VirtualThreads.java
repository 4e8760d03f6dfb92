package io.loopbridge.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Executor;

/**
 * Access to the JDK's package-private virtual-thread builder that takes a scheduler
 * ({@code java.lang.ThreadBuilders$VirtualThreadBuilder(Executor)}). It is reachable only
 * with {@code --add-opens java.base/java.lang=ALL-UNNAMED} (or {@code =io.loopbridge} on
 * the module path). This class is thread-safe.
 */
public final class VirtualThreads {
    private static final MethodHandle BUILDER;
    private static final String UNAVAILABLE_REASON;
    private static final Executor DEFAULT_SCHEDULER;
    /** (Thread) -> Executor: a virtual thread's scheduler field, or null when not readable. */
    private static final MethodHandle SCHEDULER_OF;
    /** (Thread) -> Runnable: the one continuation runner a virtual thread hands its scheduler, or null. */
    private static final MethodHandle CONTINUATION_OF;

    static {
        MethodHandle mh = null;
        String reason = null;
        try {
            Class<?> c = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            var ctor = c.getDeclaredConstructor(Executor.class);
            ctor.setAccessible(true);
            mh = MethodHandles.lookup().unreflectConstructor(ctor)
                    .asType(MethodType.methodType(Thread.Builder.OfVirtual.class, Executor.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            reason = e.toString();
        }
        Executor def = null;
        if (mh != null) {
            try {
                var f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
                f.setAccessible(true);
                def = (Executor) f.get(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                def = null;
            }
        }
        MethodHandle schedulerOf = null;
        if (mh != null) {
            // FAST mode needs both: the builder, and a task thread's way back to its loop.
            try {
                var f = Class.forName("java.lang.VirtualThread").getDeclaredField("scheduler");
                f.setAccessible(true);
                schedulerOf = MethodHandles.lookup().unreflectGetter(f)
                        .asType(MethodType.methodType(Executor.class, Thread.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                reason = "java.lang.VirtualThread.scheduler is not readable: " + e;
            }
        }
        MethodHandle continuationOf = null;
        if (schedulerOf != null) {
            try {
                var f = Class.forName("java.lang.VirtualThread").getDeclaredField("runContinuation");
                f.setAccessible(true);
                continuationOf = MethodHandles.lookup().unreflectGetter(f)
                        .asType(MethodType.methodType(Runnable.class, Thread.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                continuationOf = null; // then every step counts as the task's own, as before
            }
        }
        CONTINUATION_OF = continuationOf;
        SCHEDULER_OF = schedulerOf;
        BUILDER = schedulerOf != null ? mh : null;
        DEFAULT_SCHEDULER = BUILDER != null ? def : null;
        UNAVAILABLE_REASON = reason;
    }

    /**
     * The scheduler of {@code t}, a virtual thread (the loop's per-task executor for a FAST
     * task's thread); null if {@code t} is not virtual or FAST mode is unavailable.
     */
    public static Executor schedulerOf(Thread t) {
        if (SCHEDULER_OF == null || !t.isVirtual()) {
            return null;
        }
        try {
            return (Executor) SCHEDULER_OF.invokeExact(t);
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Whether {@code step}, handed to a custom scheduler, runs {@code owner} (a virtual thread
     * built with that scheduler) rather than a virtual thread that inherited the scheduler (one
     * {@code owner} started). True when that cannot be told.
     */
    public static boolean isContinuationOf(Thread owner, Runnable step) {
        if (CONTINUATION_OF == null) {
            return true;
        }
        try {
            return (Runnable) CONTINUATION_OF.invokeExact(owner) == step;
        } catch (Throwable e) {
            return true;
        }
    }

    /**
     * Runs a continuation step on the JDK's default scheduler: for a virtual thread that
     * inherited a loop's per-task scheduler, so it runs as an ordinary virtual thread.
     */
    public static void runOnDefaultScheduler(Runnable step) {
        if (DEFAULT_SCHEDULER == null) {
            throw new IllegalStateException("the JDK's default virtual-thread scheduler is not reachable");
        }
        DEFAULT_SCHEDULER.execute(step);
    }

    /** Whether {@link #runOnDefaultScheduler} can run steps. */
    public static boolean defaultSchedulerAvailable() {
        return DEFAULT_SCHEDULER != null;
    }

    /**
     * A factory of virtual threads on the JDK's default scheduler, whatever thread calls it.
     * Needed because a virtual thread started by a virtual thread inherits its parent's
     * scheduler: a worker started from a FAST-mode task would otherwise run on the loop thread.
     */
    public static java.util.concurrent.ThreadFactory defaultSchedulerFactory(String namePrefix) {
        return defaultSchedulerBuilder().name(namePrefix, 0).factory();
    }

    /** As {@link #defaultSchedulerFactory(String)}, for threads without a name. */
    public static java.util.concurrent.ThreadFactory defaultSchedulerFactory() {
        return defaultSchedulerBuilder().factory();
    }

    private static Thread.Builder.OfVirtual defaultSchedulerBuilder() {
        return DEFAULT_SCHEDULER != null ? builder(DEFAULT_SCHEDULER) : Thread.ofVirtual();
    }

    private VirtualThreads() {
    }

    /** True when virtual threads with a custom scheduler can be built. */
    public static boolean customSchedulerAvailable() {
        return BUILDER != null;
    }

    /** Why {@link #customSchedulerAvailable()} is false, or null. */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** A builder of virtual threads whose continuations are run by {@code scheduler}. */
    public static Thread.Builder.OfVirtual builder(Executor scheduler) {
        if (BUILDER == null) {
            throw new IllegalStateException("custom virtual-thread schedulers are unavailable: " + UNAVAILABLE_REASON);
        }
        try {
            return (Thread.Builder.OfVirtual) BUILDER.invokeExact(scheduler);
        } catch (Throwable t) {
            throw new IllegalStateException("could not create a virtual-thread builder", t);
        }
    }
}
