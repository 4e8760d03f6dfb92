package io.loopbridge;

import io.loopbridge.internal.VirtualThreads;
import java.util.concurrent.locks.LockSupport;

/**
 * How a task's virtual thread gets the loop's turn: started, parked at a suspension point,
 * resumed from any thread. The two implementations are the two {@link TaskMode}s.
 * Spurious resumes are allowed: every suspension point re-checks its own condition.
 */
abstract sealed class TaskCarrier {
    final SelectorEventLoop loop;

    TaskCarrier(SelectorEventLoop loop) {
        this.loop = loop;
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
     * hands the continuation to {@link SelectorEventLoop#scheduleTaskStep}.
     */
    static final class Fast extends TaskCarrier {

        Fast(SelectorEventLoop loop) {
            super(loop);
            if (!VirtualThreads.customSchedulerAvailable()) {
                throw new IllegalStateException("TaskMode.FAST needs --add-opens java.base/java.lang=ALL-UNNAMED "
                        + "(or =io.loopbridge on the module path): " + VirtualThreads.unavailableReason());
            }
        }

        @Override
        void start(Task<?> t) {
            // One scheduler per task, so the loop knows which task each continuation step runs
            // (Scope.current() relies on it instead of a ThreadLocal in the task's thread).
            TaskThread tt = new TaskThread(t);
            t.thread = VirtualThreads.builder(tt).unstarted(tt);
            if (loop.debug()) {
                t.thread.setName(t.name()); // readable logs; a name per task costs too much otherwise
            }
            t.thread.start();
        }

        /** The task thread's body and its scheduler in one object (one per task, so kept small). */
        private record TaskThread(Task<?> task) implements Runnable, java.util.concurrent.Executor {
            @Override
            public void run() {
                task.runBody();
            }

            @Override
            public void execute(Runnable step) {
                task.loop.scheduleTaskStep(task, step);
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

        private static final java.util.concurrent.ThreadFactory THREADS =
                io.loopbridge.internal.VirtualThreads.defaultSchedulerFactory("task-");

        Portable(SelectorEventLoop loop) {
            super(loop);
        }

        @Override
        void start(Task<?> t) {
            t.thread = THREADS.newThread(t::runBody);
            if (loop.debug()) {
                t.thread.setName(t.name());
            }
            resume(t);
        }

        /** Loop turn: run the task until it gives the baton back. */
        private void step(Task<?> t) {
            if (t.bodyDone) {
                return;
            }
            Thread me = Thread.currentThread();
            t.batonReturn = me;
            t.baton = true;
            if (!t.started) {
                t.started = true;
                t.thread.start();
            } else {
                LockSupport.unpark(t.thread);
            }
            while (t.baton) {
                LockSupport.park(t);
            }
        }

        @Override
        void park(Task<?> t) {
            handBack(t);
            while (!t.baton) {
                LockSupport.park(t);
            }
        }

        @Override
        void resume(Task<?> t) {
            loop.scheduleTaskStep(t, () -> step(t));
        }

        @Override
        void yieldNow(Task<?> t) {
            resume(t);
            park(t);
        }

        @Override
        void finished(Task<?> t) {
            Thread waiter = t.batonReturn;
            t.batonReturn = null; // a finished task must not keep the loop thread reachable
            t.baton = false;
            LockSupport.unpark(waiter);
        }

        private static void handBack(Task<?> t) {
            Thread waiter = t.batonReturn;
            t.baton = false;
            LockSupport.unpark(waiter);
        }
    }
}
