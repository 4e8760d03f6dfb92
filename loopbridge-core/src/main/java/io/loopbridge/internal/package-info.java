/**
 * Implementation details shared across loopbridge's packages: the MPSC queue and wake-up
 * behind cross-thread posts, access to the JDK's scheduler-taking virtual-thread builder, and
 * hooks for test harnesses. Not exported by the module; free to change at any time.
 */
package io.loopbridge.internal;
