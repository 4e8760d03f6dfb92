package io.loopbridge.shadedtest.reactor.core.scheduler;

/** Stands in for Reactor's marker interface of non-blocking threads, relocated. */
public interface NonBlocking {
}
