package io.loopbridge;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Recognises, with nothing added by the user, the event-loop threads of the frameworks
 * loopbridge is used next to, so that the one rule refuses to block them: Netty (every thread
 * running an {@code EventExecutor}: Lettuce, Vert.x, Reactor Netty, gRPC's Netty transport),
 * Vert.x event-loop threads (not its worker threads) and Reactor's non-blocking schedulers.
 *
 * <p>loopbridge has no dependency on any of them: the frameworks are found by class name,
 * through the class loader of the thread's own class, and called through method handles on
 * their public API. Absent frameworks cost nothing and fail nothing.
 *
 * <p>How each one marks its threads:
 * <ul>
 *   <li>Netty: a {@code SingleThreadEventExecutor} wraps what its thread runs so that
 *       {@code ThreadExecutorMap.currentExecutor()} answers the executor; the thread is ours
 *       to refuse when that executor is {@code inEventLoop()}. The thread is usually a
 *       {@code FastThreadLocalThread} (then that Netty copy is asked, shaded or not), but may
 *       come from any {@code ThreadFactory} (then the Netty visible to loopbridge is asked,
 *       first checking with {@code InternalThreadLocalMap.getIfSet()}, which creates
 *       nothing, that Netty ever ran on the thread).</li>
 *   <li>Vert.x: its threads are {@code VertxThread}s; {@code Context.isOnEventLoopThread()}
 *       tells an event-loop thread from a worker. Vert.x decides: a worker is allowed.</li>
 *   <li>Reactor: the threads of its non-blocking schedulers ({@code parallel()},
 *       {@code single()}) implement the marker interface {@code reactor.core.scheduler.NonBlocking};
 *       on other threads {@code Schedulers.isInNonBlockingThread()} is asked, so a thread the
 *       application marked with {@code Schedulers.registerNonBlockingThreadPredicate} is refused
 *       too, as Reactor's own {@code block()} refuses it.</li>
 * </ul>
 *
 * <p>Cost on the hot path (every blocking call from a plain thread): one {@link ClassValue}
 * lookup on the thread's class and, where Netty is present, a thread-local read (where Reactor
 * is, its non-blocking check). What a
 * thread class is gets worked out once. The values stored on thread classes are JDK objects
 * only (method handles into the framework, boxed constants), so a thread class of a parent
 * class loader never keeps loopbridge's class loader alive.
 *
 * <p>This class is thread-safe.
 */
final class ForeignEventLoops {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ForeignEventLoops.class);

    /** The frameworks, in the order of {@link #NONE} .. {@link #REACTOR} codes. */
    private static final int NONE = 0;
    private static final int NETTY = 1;
    private static final int VERTX = 2;
    private static final int REACTOR = 3;

    private static final String NETTY_THREAD = "io.netty.util.concurrent.FastThreadLocalThread";
    private static final String VERTX_THREAD = "io.vertx.core.impl.VertxThread";
    private static final String REACTOR_MARKER = "reactor.core.scheduler.NonBlocking";

    private static final Integer NOT_A_FRAMEWORK_THREAD = NONE;
    private static final Integer REACTOR_THREAD = REACTOR;

    /**
     * {@code ()boolean}: is the current thread running an event executor of the Netty that
     * loopbridge's class loader sees? Null if there is none. For threads of a plain class.
     */
    private static final MethodHandle PLAIN_THREAD_NETTY = nettyProbe(ForeignEventLoops.class.getClassLoader(), "");

    /**
     * {@code ()boolean}: Reactor's {@code Schedulers.isInNonBlockingThread()} (its marker, or a
     * predicate the application registered with {@code registerNonBlockingThreadPredicate}),
     * asked on each call since the predicate may change; null if no Reactor is visible.
     */
    private static final MethodHandle PLAIN_THREAD_REACTOR = reactorProbe(ForeignEventLoops.class.getClassLoader());

    private static final AtomicBoolean PROBE_FAILURE_LOGGED = new AtomicBoolean();

    /**
     * What a thread class says: {@link #NOT_A_FRAMEWORK_THREAD}, {@link #REACTOR_THREAD}, or a
     * {@code ()int} method handle answering the framework code for the current thread.
     */
    private static final ClassValue<Object> BY_THREAD_CLASS = new ClassValue<>() {
        @Override
        protected Object computeValue(Class<?> type) {
            return classify(type);
        }
    };

    private ForeignEventLoops() {
    }

    /**
     * Throws {@link BlockingOnLoopException} if the current thread is a recognised foreign
     * event-loop thread: {@code what} was about to block it.
     */
    static void checkMayBlock(String what) {
        int framework = frameworkOfCurrentThread();
        if (framework != NONE) {
            throw refusal(what, Thread.currentThread(), framework);
        }
    }

    /** The framework whose event loop the current thread runs, or {@link #NONE}. */
    static int frameworkOfCurrentThread() {
        Object probe = BY_THREAD_CLASS.get(Thread.currentThread().getClass());
        try {
            if (probe instanceof MethodHandle mh) {
                return (int) mh.invokeExact();
            }
            if (probe == REACTOR_THREAD) {
                return REACTOR;
            }
            if (PLAIN_THREAD_NETTY != null && (boolean) PLAIN_THREAD_NETTY.invokeExact()) {
                return NETTY;
            }
            return PLAIN_THREAD_REACTOR != null && (boolean) PLAIN_THREAD_REACTOR.invokeExact() ? REACTOR : NONE;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // A framework version whose public API behaves unlike the ones we know: say so once,
            // and let the call proceed as on a plain thread rather than fail every wait.
            if (PROBE_FAILURE_LOGGED.compareAndSet(false, true)) {
                log.warn("loopbridge could not tell whether thread '{}' runs a foreign event loop; treating it as a"
                        + " plain thread", Thread.currentThread().getName(), e);
            }
            return NONE;
        }
    }

    /** Short name of the framework, e.g. for tests and messages. */
    static String frameworkName(int framework) {
        return switch (framework) {
            case NETTY -> "Netty";
            case VERTX -> "Vert.x";
            case REACTOR -> "Reactor";
            default -> "none";
        };
    }

    private static BlockingOnLoopException refusal(String what, Thread t, int framework) {
        String kind = switch (framework) {
            case NETTY -> "a Netty event-loop thread";
            case VERTX -> "a Vert.x event-loop thread";
            default -> "a Reactor non-blocking scheduler thread";
        };
        String instead = switch (framework) {
            case NETTY -> "Compose with the returned future instead (thenApply, thenCompose, whenComplete), or move"
                    + " the blocking call to a worker thread (an ExecutorService of your own)";
            case VERTX -> "Compose with the returned future instead, or move the blocking call to a worker with"
                    + " vertx.executeBlocking(...) (or run it in a worker or virtual-thread verticle)";
            default -> "Compose with the returned Mono/Flux or future instead, or move the blocking call to a"
                    + " scheduler that allows blocking: publishOn/subscribeOn(Schedulers.boundedElastic())";
        };
        return new BlockingOnLoopException(what + " called on " + kind + " '" + t.getName() + "': blocking it"
                + " stalls all the work that thread serves (every connection of an event loop), and waiting there"
                + " for something that needs the thread could never end. " + instead);
    }

    // ---------------------------------------------------------------- working out a thread class, once

    private static Object classify(Class<?> type) {
        Class<?> vertxThread = null;
        Class<?> nettyThread = null;
        for (Class<?> c = type; c != null && c != Thread.class; c = c.getSuperclass()) {
            String n = c.getName();
            if (vertxThread == null && n.equals(VERTX_THREAD)) {
                vertxThread = c;
            }
            if (nettyThread == null && (n.equals(NETTY_THREAD) || n.endsWith("." + NETTY_THREAD))) {
                nettyThread = c; // possibly a shaded copy: its own package prefix leads to its own classes
            }
        }
        boolean reactor = implementsMarker(type);
        MethodHandle netty = nettyThread == null ? null : nettyProbe(nettyThread.getClassLoader(),
                nettyThread.getName().substring(0, nettyThread.getName().length() - NETTY_THREAD.length()));
        int otherwise = reactor ? REACTOR : NONE;
        MethodHandle nettyOrElse = netty == null ? null
                : MethodHandles.guardWithTest(netty, constant(NETTY), constant(otherwise));
        if (vertxThread != null) {
            MethodHandle onEventLoop = vertxProbe(vertxThread.getClassLoader());
            if (onEventLoop != null) {
                // Vert.x tells its event-loop threads from its workers; a worker is allowed.
                return MethodHandles.guardWithTest(onEventLoop, constant(VERTX), constant(NONE));
            }
        }
        if (nettyOrElse != null) {
            return nettyOrElse;
        }
        return reactor ? REACTOR_THREAD : NOT_A_FRAMEWORK_THREAD;
    }

    private static boolean implementsMarker(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (isMarker(i)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isMarker(Class<?> i) {
        String n = i.getName();
        if (n.equals(REACTOR_MARKER) || n.endsWith("." + REACTOR_MARKER)) {
            return true;
        }
        for (Class<?> s : i.getInterfaces()) {
            if (isMarker(s)) {
                return true;
            }
        }
        return false;
    }

    private static MethodHandle constant(int framework) {
        return MethodHandles.constant(int.class, framework);
    }

    /**
     * {@code ()boolean}, built from JDK combinators and Netty's public API only:
     * {@code InternalThreadLocalMap.getIfSet() != null && (e = ThreadExecutorMap.currentExecutor()) != null
     * && e.inEventLoop()}. Null if that Netty is absent or too old to tell (before 4.1.35).
     */
    static MethodHandle nettyProbe(ClassLoader loader, String prefix) {
        try {
            Class<?> map = Class.forName(prefix + "io.netty.util.internal.InternalThreadLocalMap", false, loader);
            Class<?> executorMap = Class.forName(prefix + "io.netty.util.internal.ThreadExecutorMap", false, loader);
            Class<?> executor = Class.forName(prefix + "io.netty.util.concurrent.EventExecutor", false, loader);
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            MethodHandle nonNull = l.findStatic(Objects.class, "nonNull", MethodType.methodType(boolean.class, Object.class));
            MethodHandle no = MethodHandles.constant(boolean.class, false);
            MethodHandle nettyUsedHere = MethodHandles.filterReturnValue(
                    l.findStatic(map, "getIfSet", MethodType.methodType(map)).asType(MethodType.methodType(Object.class)),
                    nonNull);
            MethodHandle inEventLoop = l.findVirtual(executor, "inEventLoop", MethodType.methodType(boolean.class))
                    .asType(MethodType.methodType(boolean.class, Object.class));
            MethodHandle nullSafeInEventLoop = MethodHandles.guardWithTest(nonNull, inEventLoop,
                    MethodHandles.dropArguments(no, 0, Object.class));
            MethodHandle runsExecutor = MethodHandles.filterReturnValue(
                    l.findStatic(executorMap, "currentExecutor", MethodType.methodType(executor))
                            .asType(MethodType.methodType(Object.class)),
                    nullSafeInEventLoop);
            return MethodHandles.guardWithTest(nettyUsedHere, runsExecutor, no);
        } catch (ClassNotFoundException | LinkageError e) {
            return null; // no such Netty here: nothing to recognise
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("loopbridge cannot recognise the event-loop threads of the Netty found by {} ({}): blocking"
                    + " calls on them will not be refused", loader, prefix.isEmpty() ? "io.netty" : prefix + "io.netty", e);
            return null;
        }
    }

    /** {@code ()boolean}: Reactor's {@code Schedulers.isInNonBlockingThread()}; null if absent or unusable. */
    private static MethodHandle reactorProbe(ClassLoader loader) {
        try {
            Class<?> schedulers = Class.forName("reactor.core.scheduler.Schedulers", false, loader);
            return MethodHandles.publicLookup().findStatic(schedulers, "isInNonBlockingThread",
                    MethodType.methodType(boolean.class));
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("loopbridge cannot ask Reactor which threads are non-blocking; relying on its marker interface", e);
            return null;
        }
    }

    /** {@code ()boolean}: Vert.x's {@code Context.isOnEventLoopThread()}; null if unusable. */
    private static MethodHandle vertxProbe(ClassLoader loader) {
        try {
            Class<?> context = Class.forName("io.vertx.core.Context", false, loader);
            return MethodHandles.publicLookup().findStatic(context, "isOnEventLoopThread",
                    MethodType.methodType(boolean.class));
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("loopbridge cannot ask Vert.x which of its threads run event loops; relying on Netty's marks", e);
            return null;
        }
    }
}
