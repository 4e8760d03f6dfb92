/**
 * Streams over a loop's selector (asyncio's streams): {@link io.loopbridge.streams.Streams}
 * opens connections and starts servers; a connection is a {@link io.loopbridge.streams.StreamReader}
 * and a {@link io.loopbridge.streams.StreamWriter}, confined to their loop; a
 * {@link io.loopbridge.streams.Server} accepts connections and runs a handler task for each.
 * Built on the public API of {@code io.loopbridge} only, as asyncio's streams sit on its event
 * loop. Reads and writes wait by the one rule of {@code io.loopbridge.Async#await}: inside a task
 * of the stream's loop they suspend it.
 */
package io.loopbridge.streams;
