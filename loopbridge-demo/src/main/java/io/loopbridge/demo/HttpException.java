package io.loopbridge.demo;

/** A request the server refuses with {@code status}; {@code close} ends the connection after the answer. */
final class HttpException extends Exception {
    final int status;
    final boolean close;

    HttpException(int status, String message) {
        this(status, message, status == 400 || status == 408 || status == 413 || status == 431
                || status == 501 || status == 505);
    }

    HttpException(int status, String message, boolean close) {
        super(message, null, false, false);
        this.status = status;
        this.close = close;
    }
}
