package io.loopbridge;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Write an API once, asynchronously, and ship a synchronous face of it (Python's
 * smartasync, done thread-safely). {@code SyncFacade.of(SyncApi.class, asyncImpl)} returns a
 * proxy whose every method calls the same-named method of {@code asyncImpl} (same parameter
 * types, returning a {@link CompletionStage} of the sync method's return type) and awaits
 * the result by the one rule of {@link Async#await}: it suspends a calling task, blocks a
 * plain thread, and refuses a loop thread with {@link BlockingOnLoopException}.
 *
 * <pre>{@code
 * interface Users      { User find(long id) throws IOException; }
 * class AsyncUsers     { CompletableFuture<User> find(long id) { ... } }
 * Users users = SyncFacade.of(Users.class, new AsyncUsers());
 * User u = users.find(42);   // from a plain thread, a test, or inside a task
 * }</pre>
 *
 * <p>Exceptions come out unwrapped. Declare the checked exceptions callers should handle on
 * the sync interface; one that is not declared arrives wrapped in
 * {@link java.lang.reflect.UndeclaredThrowableException}, as for any JDK proxy. A missing or
 * mismatched method fails when the facade is created, naming it. An interrupt of a plain
 * thread waiting in a call cancels the async call, as a timeout does, and the call throws
 * {@link InterruptedException} (wrapped as above unless the method declares it; the thread's
 * interrupt status is then set again).
 *
 * <p>The facade holds no mutable state: it is thread-safe, and one call can never affect
 * another (the smartasync bug, where one async-context call left later sync callers with an
 * un-run coroutine, cannot happen).
 */
public final class SyncFacade {
    private SyncFacade() {
    }

    /** A sync face of {@code asyncImpl}, with no timeout. */
    public static <S> S of(Class<S> syncInterface, Object asyncImpl) {
        return of(syncInterface, asyncImpl, null);
    }

    /**
     * A sync face of {@code asyncImpl} whose calls fail with
     * {@link java.util.concurrent.TimeoutException} (cancelling the async call) after
     * {@code timeout}; null for none. Zero or negative: a call whose stage is not complete when
     * it returns times out at once.
     */
    public static <S> S of(Class<S> syncInterface, Object asyncImpl, Duration timeout) {
        Objects.requireNonNull(syncInterface, "syncInterface");
        Objects.requireNonNull(asyncImpl, "asyncImpl");
        if (!syncInterface.isInterface()) {
            throw new IllegalArgumentException(syncInterface.getName() + " is not an interface");
        }
        Map<Method, MethodHandle> targets = new HashMap<>();
        for (Method m : syncInterface.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault() || isObjectMethod(m)) {
                continue;
            }
            targets.put(m, findAsync(m, asyncImpl, syncInterface));
        }
        InvocationHandler h = new Handler(targets, asyncImpl, timeoutNanos(timeout));
        return syncInterface.cast(Proxy.newProxyInstance(syncInterface.getClassLoader(), new Class<?>[]{syncInterface}, h));
    }

    /** -1 for no timeout; a negative timeout is 0 (times out at once, as {@link Async#waitFor} does); a huge one saturates. */
    private static long timeoutNanos(Duration timeout) {
        return timeout == null ? -1 : Math.max(0, TimerHeap.nanos(timeout));
    }

    /**
     * {@code equals(Object)}, {@code hashCode()} or {@code toString()} redeclared by an interface
     * (to document them, as {@link java.util.Comparator} does): a proxy answers them itself.
     */
    static boolean isObjectMethod(Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static MethodHandle findAsync(Method m, Object impl, Class<?> syncInterface) {
        Method target = implementationOf(m, syncInterface, impl, "SyncFacade", m.getDeclaringClass());
        if (!CompletionStage.class.isAssignableFrom(target.getReturnType())) {
            throw new IllegalArgumentException("SyncFacade: " + impl.getClass().getSimpleName() + "." + m.getName()
                    + " returns " + target.getReturnType().getSimpleName() + ", not a CompletionStage");
        }
        Class<?> resultType = stageResultType(target.getGenericReturnType());
        if (resultType != null && !returnCompatible(m.getReturnType(), resultType)) {
            throw new IllegalArgumentException("SyncFacade: " + m.getDeclaringClass().getSimpleName() + "." + m.getName()
                    + " returns " + m.getReturnType().getSimpleName() + " but " + impl.getClass().getSimpleName() + "."
                    + m.getName() + " completes with " + resultType.getSimpleName());
        }
        try {
            target.setAccessible(true);
        } catch (RuntimeException ignored) {
            // Public method of a public class: accessible anyway.
        }
        try {
            MethodHandle mh = MethodHandles.lookup().unreflect(target);
            return mh.asSpreader(1, Object[].class, m.getParameterCount())
                    .asType(MethodType.methodType(Object.class, Object.class, Object[].class));
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("SyncFacade: cannot access " + target + "; " + howToAllowAccess(target), e);
        }
    }

    /**
     * The public method of {@code impl} that implements {@code m} of {@code facadeInterface}: same
     * name and parameter types, or, for a method of a generic super-interface ({@code save(T)} of
     * {@code Repo<T>} seen through {@code StringRepo extends Repo<String>}), the parameter types
     * the interface binds. Shared by both facades.
     *
     * @throws IllegalArgumentException if there is none
     */
    static Method implementationOf(Method m, Class<?> facadeInterface, Object impl, String facade, Class<?> named) {
        try {
            return impl.getClass().getMethod(m.getName(), m.getParameterTypes());
        } catch (NoSuchMethodException e) {
            Class<?>[] resolved = resolvedParameterTypes(m, facadeInterface);
            try {
                return impl.getClass().getMethod(m.getName(), resolved);
            } catch (NoSuchMethodException e2) {
                throw new IllegalArgumentException(facade + ": " + impl.getClass().getName() + " has no public method "
                        + m.getName() + describe(resolved) + " for " + named.getSimpleName() + "." + m.getName());
            }
        }
    }

    /**
     * {@code m}'s parameter types with the type variables of its generic declaring interface
     * replaced by what {@code syncInterface} binds them to (their erasure where it binds none).
     */
    static Class<?>[] resolvedParameterTypes(Method m, Class<?> syncInterface) {
        Map<java.lang.reflect.TypeVariable<?>, Type> bindings = new HashMap<>();
        bindTypeArguments(syncInterface, bindings);
        Type[] generic = m.getGenericParameterTypes();
        Class<?>[] erased = m.getParameterTypes();
        Class<?>[] out = new Class<?>[erased.length];
        for (int i = 0; i < out.length; i++) {
            Type t = generic.length == erased.length ? generic[i] : erased[i];
            for (int hops = 0; t instanceof java.lang.reflect.TypeVariable<?> v && bindings.containsKey(v) && hops < 16; hops++) {
                t = bindings.get(v);
            }
            out[i] = t instanceof Class<?> c ? c
                    : t instanceof ParameterizedType pt && pt.getRawType() instanceof Class<?> raw ? raw
                    : erased[i];
        }
        return out;
    }

    private static void bindTypeArguments(Class<?> type, Map<java.lang.reflect.TypeVariable<?>, Type> bindings) {
        for (Type sup : type.getGenericInterfaces()) {
            Class<?> raw = sup instanceof Class<?> c ? c : (Class<?>) ((ParameterizedType) sup).getRawType();
            if (sup instanceof ParameterizedType pt) {
                java.lang.reflect.TypeVariable<?>[] vars = raw.getTypeParameters();
                Type[] args = pt.getActualTypeArguments();
                for (int i = 0; i < vars.length && i < args.length; i++) {
                    bindings.putIfAbsent(vars[i], args[i]);
                }
            }
            bindTypeArguments(raw, bindings);
        }
    }

    /**
     * What the user must change so that loopbridge may call {@code target}: on the module path
     * a public class is not enough, its package must be exported (or opened) to loopbridge.
     */
    private static String howToAllowAccess(Method target) {
        Class<?> owner = target.getDeclaringClass();
        Module module = owner.getModule();
        Module loopbridge = SyncFacade.class.getModule();
        String pkg = owner.getPackageName();
        if (Modifier.isPublic(owner.getModifiers()) && module.isNamed() && !module.isExported(pkg, loopbridge)) {
            String to = loopbridge.isNamed() ? " to " + loopbridge.getName() : "";
            return "its class is public, but module " + module.getName() + " does not export package " + pkg + to
                    + ". Add 'exports " + pkg + to + ";' (or 'opens " + pkg + to + ";') to the module-info.java of "
                    + module.getName();
        }
        return "make its class public" + (owner.getEnclosingClass() != null ? " (and every class enclosing it)" : "");
    }

    private static Class<?> stageResultType(Type t) {
        if (t instanceof ParameterizedType p && p.getActualTypeArguments().length == 1) {
            Type a = p.getActualTypeArguments()[0];
            if (a instanceof Class<?> c) {
                return c;
            }
            if (a instanceof ParameterizedType pa && pa.getRawType() instanceof Class<?> c) {
                return c;
            }
        }
        return null;
    }

    static boolean returnCompatible(Class<?> syncType, Class<?> resultType) {
        if (syncType == void.class) {
            return true; // the result, if any, is discarded
        }
        Class<?> boxed = MethodType.methodType(syncType).wrap().returnType();
        return boxed.isAssignableFrom(resultType);
    }

    static String describe(Class<?>[] params) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < params.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(params[i].getSimpleName());
        }
        return sb.append(')').toString();
    }

    private record Handler(Map<Method, MethodHandle> targets, Object impl, long timeoutNanos) implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            MethodHandle mh = targets.get(method);
            if (mh == null) {
                return objectMethod(proxy, method, args, impl);
            }
            // Refuse before the async call starts anything we could not wait for.
            String what = "SyncFacade call " + method.getName();
            Waiting.enter(what);
            Object[] a = args == null ? new Object[0] : args;
            Object target = impl;
            CompletionStage<?> stage = (CompletionStage<?>) (Object) mh.invokeExact(target, a);
            if (stage == null) {
                throw new IllegalStateException("SyncFacade: " + impl.getClass().getSimpleName() + "." + method.getName()
                        + " returned null instead of a CompletionStage");
            }
            try {
                return timeoutNanos < 0 ? Waiting.await(stage, what) : Waiting.await(stage, timeoutNanos, true, what);
            } catch (InterruptedException e) {
                if (failureOf(stage) == e) {
                    throw e; // the stage's own failure, not an interrupt of this thread
                }
                // The caller gave up the call, as on a timeout: the stage is cancelled, not left
                // running unobserved (asyncio's runner cancels its main task on an interrupt).
                LoopFuture.cancelStage(stage, "the thread waiting in " + what + " was interrupted");
                if (!declares(method, InterruptedException.class)) {
                    // The proxy wraps it in UndeclaredThrowableException: keep the interrupt visible.
                    Thread.currentThread().interrupt();
                }
                throw e;
            }
        }

        /** The exception {@code stage} failed with, read without counting as reading it; null if none (yet). */
        private static Throwable failureOf(CompletionStage<?> stage) {
            if (stage instanceof LoopFuture<?> lf) {
                return lf.failureNow();
            }
            java.util.concurrent.CompletableFuture<?> cf = Waiting.asCompletableFuture(stage);
            return cf.state() == java.util.concurrent.Future.State.FAILED ? Exceptions.unwrap(cf.exceptionNow()) : null;
        }

        private static boolean declares(Method m, Class<? extends Exception> type) {
            for (Class<?> declared : m.getExceptionTypes()) {
                if (declared.isAssignableFrom(type)) {
                    return true;
                }
            }
            return false;
        }
    }

    static Object objectMethod(Object proxy, Method method, Object[] args, Object impl) throws Throwable {
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "Facade[" + impl + "]";
            default -> throw new UnsupportedOperationException(method.toString());
        };
    }
}
