package io.loopbridge;

import io.loopbridge.internal.VirtualThreads;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * How a task's virtual thread gets its loop's turn: started, parked at a suspension point,
 * resumed from any thread. The two implementations are the two {@link TaskMode}s; both are
 * stateless singletons (a task's own state is in the task). Spurious resumes are allowed:
 * every suspension point re-checks its own condition. Thread-safe.
 */
abstract sealed class TaskCarrier {

    static TaskCarrier of(TaskMode mode) {
        return mode == TaskMode.FAST ? Fast.INSTANCE : Portable.INSTANCE;
    }

    /** Loop turn: create the task's thread and schedule its first step. */
    abstract void start(Task<?> t);

    /** Task thread: give up the turn until {@link #resume} (or spuriously). */
    abstract void park(Task<?> t);

    /** Any thread: schedule the task's next step on the loop. Never throws. */
    abstract void resume(Task<?> t);

    /** Task thread: go to the back of the ready queue once. */
    abstract void yieldNow(Task<?> t);

    /** Task thread, last action of the body: give the turn back for good. */
    abstract void finished(Task<?> t);

    /**
     * FAST: the task is a virtual thread whose scheduler is the loop, so parking is the JDK's
     * own {@link LockSupport#park} and resuming is {@link LockSupport#unpark}: the JDK then
     * hands the continuation to the loop as a task step.
     */
    static final class Fast extends TaskCarrier {
        static final Fast INSTANCE = new Fast();

        @Override
        void start(Task<?> t) {
            // One scheduler per task, so the loop knows which task each continuation step runs
            // (Scope relies on it instead of a ThreadLocal in the task's thread).
            TaskThread tt = new TaskThread(t);
            t.thread = VirtualThreads.builder(tt).unstarted(tt);
            if (t.loop.debug()) {
                t.thread.setName(t.name()); // readable logs; a name per task costs too much otherwise
            }
            t.thread.start();
        }

        /** The task thread's body and its scheduler in one object (one per task, so kept small). */
        record TaskThread(Task<?> task) implements Runnable, Executor {
            @Override
            public void run() {
                task.runBody();
            }

            @Override
            public void execute(Runnable step) {
                task.loop.scheduleStep(task, step);
            }
        }

        @Override
        void park(Task<?> t) {
            LockSupport.park(t);
        }

        @Override
        void resume(Task<?> t) {
            Thread th = t.thread;
            if (th != null) {
                LockSupport.unpark(th);
            }
        }

        @Override
        void yieldNow(Task<?> t) {
            Thread.yield();
        }

        @Override
        void finished(Task<?> t) {
        }
    }

    /**
     * PORTABLE: the task is an ordinary virtual thread. A step is a loop callback that hands
     * the baton to the task's thread and blocks the loop thread until the task hands it back
     * (at its next suspension point or at its end), so still exactly one task runs at a time.
     */
    static final class Portable extends TaskCarrier {
        static final Portable INSTANCE = new Portable();
        /**
         * {@link LockSupport#unpark}, called through a handle the JIT cannot inline (the field
         * is not final). Inlined, the JDK's unpark path sized the compiled frame of
         * {@link #park}, which stays frozen in every parked task: measured with 100,000 parked
         * tasks, 935–1,075 bytes per task across runs with it inlined, 873 in every run without.
         */
        @SuppressWarnings("FieldMayBeFinal")
        private static MethodHandle UNPARK;

        static {
            try {
                UNPARK = MethodHandles.lookup().findStatic(LockSupport.class, "unpark",
                        MethodType.methodType(void.class, Thread.class));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        /** Unnamed (a name per task costs memory); named after the task in debug mode. */
        private static final ThreadFactory THREADS = VirtualThreads.defaultSchedulerFactory();
        /** How long the loop's thread polls for the baton before it parks (bounded by BriefSpin's setting). */
        private static final long SPIN_NANOS = Math.min(BriefSpin.NANOS, 20_000);

        /**
         * One task's baton: who holds it, and whom to hand it back to. It is also the body of
         * the task's thread and the loop callback of the task's steps (no object per parked
         * task or per resume beyond it: a million parked tasks must fit in a 1 GiB heap).
         */
        static final class Baton implements Runnable {
            private final Task<?> task;
            volatile boolean held;
            volatile Thread returnTo;
            boolean started;
            volatile boolean bodyDone;

            Baton(Task<?> task) {
                this.task = task;
            }

            /** On the task's own thread: its body; on the loop turn: one step of the task. */
            @Override
            public void run() {
                if (Thread.currentThread() == task.thread) {
                    task.runBody();
                } else {
                    INSTANCE.step(task);
                }
            }
        }

        @Override
        void start(Task<?> t) {
            Baton b = new Baton(t);
            t.baton = b;
            t.thread = THREADS.newThread(b);
            if (t.loop.debug()) {
                t.thread.setName(t.name());
            }
            resume(t);
        }

        /** Loop turn: run the task until it gives the baton back. */
        private void step(Task<?> t) {
            Baton b = t.baton;
            if (b.bodyDone) {
                return;
            }
            b.returnTo = Thread.currentThread();
            b.held = true;
            if (!b.started) {
                b.started = true;
                t.thread.start();
            } else {
                LockSupport.unpark(t.thread);
            }
            if (b.held && SPIN_NANOS > 0 && t.loop.hasReadyCallbacks()) {
                // In a busy turn (more steps queued behind this one) most steps hand the baton
                // back within microseconds, while the JDK's other carrier is awake: polling
                // saves parking and resubmitting the loop's thread. A lone step parks at once,
                // so that its task runs on this very carrier instead of one woken for it; so
                // does a step while other threads post work (their completions), as polling
                // would take the core those threads need (measured: resume latency, runSync,
                // cross-thread completions all slower with it).
                BriefSpin.poll(() -> !b.held, System.nanoTime() + SPIN_NANOS);
            }
            while (b.held) {
                LockSupport.park(t);
            }
        }

        @Override
        void park(Task<?> t) {
            Baton b = t.baton;
            handBack(b);
            while (!b.held) {
                LockSupport.park(t);
            }
        }

        @Override
        void resume(Task<?> t) {
            t.loop.scheduleStep(t, t.baton);
        }

        @Override
        void yieldNow(Task<?> t) {
            resume(t);
            park(t);
        }

        @Override
        void finished(Task<?> t) {
            Baton b = t.baton;
            b.bodyDone = true;
            Thread waiter = b.returnTo;
            b.returnTo = null; // a finished task must not keep the loop thread reachable
            b.held = false;
            LockSupport.unpark(waiter);
        }

        private static void handBack(Baton b) {
            Thread waiter = b.returnTo;
            b.held = false;
            try {
                UNPARK.invokeExact(waiter);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("handing the baton back to " + waiter + " failed", e); // unpark declares none
            }
        }
    }
}
