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
        record TaskThread(Task<?> task) implements Runnable, Executor, LoopTasks.TaskScheduler {
            @Override
            public void run() {
                task.runBody();
            }

            @Override
            public LoopTasks.Entry entry() {
                return task;
            }

            @Override
            public Loop loop() {
                return task.loop;
            }

            @Override
            public void execute(Runnable step) {
                Thread own = task.thread;
                if (own == null || VirtualThreads.isContinuationOf(own, step) || !VirtualThreads.defaultSchedulerAvailable()) {
                    task.loop.scheduleStep(task, step);
                } else {
                    // A virtual thread the task started inherits this scheduler, but it is an
                    // ordinary virtual thread (it may block, and may outlive the loop): the JDK's
                    // default scheduler runs it, never the loop's thread.
                    VirtualThreads.runOnDefaultScheduler(step);
                }
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
     * PORTABLE: the task is an ordinary virtual thread, and the loop's turn travels with the
     * baton. The loop hands its turn to the thread of the task whose step comes up; when that
     * step ends (the task suspends or finishes), the same thread runs the loop on (its
     * callbacks, waits and iterations) and hands the turn straight to the next task's thread,
     * or back to the loop's own thread when the turn ends ({@link Loop#passTurn}). So one task
     * step costs one switch between virtual threads, not a round trip through the loop's
     * thread, and still exactly one thread runs the loop's code at a time.
     */
    static final class Portable extends TaskCarrier {
        static final Portable INSTANCE = new Portable();
        /**
         * {@link Loop#passTurn}, called through a handle the JIT cannot inline (the field is not
         * final): inlined, the loop's code would size the compiled frame of {@link #park},
         * which stays frozen in every parked task (a million parked tasks must fit in a 1 GiB
         * heap; the same was measured for an inlined {@code LockSupport.unpark}).
         */
        @SuppressWarnings("FieldMayBeFinal")
        private static MethodHandle PASS_TURN;

        static {
            try {
                PASS_TURN = MethodHandles.lookup().findVirtual(Loop.class, "passTurn",
                        MethodType.methodType(boolean.class, LoopTasks.Entry.class));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        /** Unnamed (a name per task costs memory); named after the task in debug mode. */
        private static final ThreadFactory THREADS = VirtualThreads.defaultSchedulerFactory();

        /**
         * One task's baton: the body of the task's thread and the loop callback of the task's
         * steps (no object per parked task or per resume beyond it: a million parked tasks must
         * fit in a 1 GiB heap). The task's thread holds the turn while the loop's
         * {@link Loop#loopThread()} is that thread.
         */
        static final class Baton implements CallbackRunner.Relay {
            private final Task<?> task;
            boolean started;
            volatile boolean bodyDone;

            Baton(Task<?> task) {
                this.task = task;
            }

            /** The task's thread's body. */
            @Override
            public void run() {
                if (Thread.currentThread() != task.thread) {
                    throw new IllegalStateException("a PORTABLE task step runs only on its own thread, by the loop's relay");
                }
                task.runBody();
            }

            @Override
            public boolean pending() {
                return !bodyDone;
            }

            /** Whoever holds the loop's turn: gives it to this task's thread. */
            @Override
            public void handOver() {
                if (!started) {
                    started = true;
                    task.thread.start();
                } else {
                    LockSupport.unpark(task.thread);
                }
            }

            @Override
            public String toString() {
                return "step of " + task.name();
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

        @Override
        void park(Task<?> t) {
            if (passTurn(t.loop, t)) {
                return;
            }
            Thread me = t.thread;
            while (t.loop.loopThread() != me) {
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
            t.baton.bodyDone = true;
            passTurn(t.loop, null);
        }

        private static boolean passTurn(Loop loop, Task<?> self) {
            try {
                return (boolean) PASS_TURN.invokeExact(loop, (LoopTasks.Entry) self);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("passing the turn of event loop '" + loop.name() + "' on failed", e);
            }
        }
    }
}
