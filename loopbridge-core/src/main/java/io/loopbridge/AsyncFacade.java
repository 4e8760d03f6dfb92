package io.loopbridge;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The other way round from {@link SyncFacade}: an asynchronous face of a blocking
 * implementation. {@code AsyncFacade.of(AsyncApi.class, syncImpl)} returns a proxy whose
 * methods (returning {@link CompletionStage}, {@link CompletableFuture} or
 * {@link LoopFuture}) call the same-named blocking method of {@code syncImpl} off the loop,
 * through {@link Threads#toThread} under the loop's {@link CapacityLimiter} when called from
 * a loop, or on a new virtual thread otherwise. The returned stage fails with the original
 * exception.
 *
 * <p>The facade holds no mutable state and is thread-safe.
 */
public final class AsyncFacade {
    private static final java.util.concurrent.ThreadFactory WORKERS =
            io.loopbridge.internal.VirtualThreads.defaultSchedulerFactory("async-facade-");
    private AsyncFacade() {
    }

    public static <A> A of(Class<A> asyncInterface, Object syncImpl) {
        Objects.requireNonNull(asyncInterface, "asyncInterface");
        Objects.requireNonNull(syncImpl, "syncImpl");
        if (!asyncInterface.isInterface()) {
            throw new IllegalArgumentException(asyncInterface.getName() + " is not an interface");
        }
        Map<Method, MethodHandle> targets = new HashMap<>();
        for (Method m : asyncInterface.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault() || SyncFacade.isObjectMethod(m)) {
                continue;
            }
            Class<?> rt = m.getReturnType();
            if (rt != CompletionStage.class && rt != CompletableFuture.class && rt != LoopFuture.class) {
                throw new IllegalArgumentException("AsyncFacade: " + asyncInterface.getSimpleName() + "." + m.getName()
                        + " must return CompletionStage, CompletableFuture or LoopFuture, not " + rt.getSimpleName());
            }
            Method target = SyncFacade.implementationOf(m, asyncInterface, syncImpl, "AsyncFacade", asyncInterface);
            try {
                target.setAccessible(true);
            } catch (RuntimeException ignored) {
                // Accessible anyway when public.
            }
            try {
                targets.put(m, MethodHandles.lookup().unreflect(target)
                        .asSpreader(1, Object[].class, m.getParameterCount())
                        .asType(MethodType.methodType(Object.class, Object.class, Object[].class)));
            } catch (IllegalAccessException e) {
                throw new IllegalArgumentException("AsyncFacade: cannot access " + target + "; make its class public", e);
            }
        }
        InvocationHandler h = (proxy, method, args) -> {
            MethodHandle mh = targets.get(method);
            if (mh == null) {
                return SyncFacade.objectMethod(proxy, method, args, syncImpl);
            }
            Object[] a = args == null ? new Object[0] : args;
            return call(method, () -> {
                try {
                    Object target = syncImpl;
                    return (Object) mh.invokeExact(target, a);
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new java.util.concurrent.ExecutionException(t);
                }
            });
        };
        return asyncInterface.cast(Proxy.newProxyInstance(asyncInterface.getClassLoader(),
                new Class<?>[]{asyncInterface}, h));
    }

    private static Object call(Method method, java.util.concurrent.Callable<Object> work) {
        Loop loop = Loop.current();
        if (loop != null) {
            // A task of the loop runs the blocking call through toThread, so the limiter applies.
            Task<Object> t = Task.start(loop, null, () -> Threads.toThread(work), Scope.context());
            if (method.getReturnType() == CompletableFuture.class) {
                return t.toCompletableFuture();
            }
            return t;
        }
        if (method.getReturnType() == LoopFuture.class) {
            throw new IllegalStateException("AsyncFacade: " + method.getName() + " returns a LoopFuture, which needs a"
                    + " running event loop; call it from a task, or declare CompletionStage/CompletableFuture");
        }
        CompletableFuture<Object> cf = new CompletableFuture<>();
        WORKERS.newThread(CarriedContext.capture().wrap(() -> {
            try {
                cf.complete(work.call());
            } catch (Throwable e) {
                cf.completeExceptionally(e);
            }
        })).start();
        return cf;
    }
}
