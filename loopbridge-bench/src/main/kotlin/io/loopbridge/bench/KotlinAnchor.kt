package io.loopbridge.bench

import java.util.concurrent.Executor
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.function.Consumer
import java.util.function.LongConsumer
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.ExecutorCoroutineDispatcher
import kotlinx.coroutines.Job
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/**
 * The Kotlin coroutines anchor of set "tasks": the same work as loopbridge's tasks, done by
 * kotlinx.coroutines, behind plain (non-suspending) methods that JMH's Java benchmarks and the
 * Java mains call. Each method is one `runBlocking` whose parent coroutine runs on this
 * anchor's dispatcher and starts, awaits and checks all the coroutines of one measurement.
 *
 * Two dispatchers, two impl values:
 * - [singleThread] (`kotlin-single`): `Executors.newSingleThreadExecutor().asCoroutineDispatcher()`,
 *   one platform thread runs every coroutine; the caller blocks in `runBlocking` meanwhile.
 * - [runBlockingLoop] (`kotlin-runblocking`): `runBlocking`'s own event loop on the calling
 *   thread, the closest kin of `EventLoop.runUntilComplete`.
 *
 * Not thread-safe: one caller at a time (a JMH trial, a main); [close] stops the dispatcher's
 * thread.
 */
class KotlinAnchor private constructor(
    private val context: CoroutineContext,
    private val executor: ExecutorService?,
) : AutoCloseable {

    /**
     * Spawn + complete, TaskSpawnBench's shape: the parent `launch`es [batch] coroutines of a
     * trivial body, then `join`s each in order. Returns [batch], or throws if any body did not run.
     */
    fun spawnJoin(batch: Int): Int = runBlocking(context) {
        // Every coroutine here runs on the one thread of the dispatcher: a plain counter is exact.
        var ran = 0
        val jobs = arrayOfNulls<Job>(batch)
        for (i in 0 until batch) {
            jobs[i] = launch { ran++ }
        }
        for (job in jobs) {
            job!!.join()
        }
        if (ran != batch) {
            throw IllegalStateException("kotlin: LOST COROUTINES: $ran of $batch ran")
        }
        batch
    }

    /**
     * The Lettuce-style case: the parent `launch`es [batch] coroutines; coroutine i creates a
     * `CompletableDeferred`, hands `complete(i + 1)` to [completer] (another thread) and awaits
     * it. Returns what each coroutine received, index by index, after joining them all.
     */
    fun awaitCompletions(batch: Int, completer: Executor): IntArray = runBlocking(context) {
        val results = IntArray(batch)
        val jobs = arrayOfNulls<Job>(batch)
        for (i in 0 until batch) {
            jobs[i] = launch {
                val d = CompletableDeferred<Int>()
                completer.execute { d.complete(i + 1) }
                results[i] = d.await()
            }
        }
        for (job in jobs) {
            job!!.join()
        }
        results
    }

    /**
     * ResumeLatency's protocol, [count] samples in a row: one coroutine creates a
     * `CompletableDeferred`, hands it (as a completion taking t0) to [hand], awaits it, and
     * records `nanoTime() - t0` once resumed. Returns the samples in ns, in the order taken.
     */
    fun resumeLatencies(count: Int, hand: Consumer<LongConsumer>): LongArray = runBlocking(context) {
        val lat = LongArray(count)
        for (i in 0 until count) {
            val d = CompletableDeferred<Long>()
            hand.accept(LongConsumer { t0 -> d.complete(t0) })
            val t0 = d.await()
            lat[i] = System.nanoTime() - t0
        }
        lat
    }

    /** Stops the single-thread dispatcher's thread, if this anchor has one, and waits for it. */
    override fun close() {
        val ex = executor ?: return
        (context as ExecutorCoroutineDispatcher).close()
        if (!ex.awaitTermination(10, TimeUnit.SECONDS)) {
            throw IllegalStateException("kotlin-single: the dispatcher thread did not stop within 10 s")
        }
    }

    companion object {
        /** Coroutines on `Executors.newSingleThreadExecutor().asCoroutineDispatcher()` (one daemon platform thread). */
        @JvmStatic
        fun singleThread(): KotlinAnchor {
            val executor = Executors.newSingleThreadExecutor { r ->
                Thread(r, "kotlin-single").apply { isDaemon = true }
            }
            return KotlinAnchor(executor.asCoroutineDispatcher(), executor)
        }

        /** Coroutines on `runBlocking`'s event loop, in the calling thread. */
        @JvmStatic
        fun runBlockingLoop(): KotlinAnchor = KotlinAnchor(EmptyCoroutineContext, null)
    }
}
