package io.loopbridge.demo;

import java.nio.charset.StandardCharsets;

/** A complete response: status, content type, body, and extra header lines. */
record HttpResponse(int status, String contentType, byte[] body, String extraHeaders) {
    static final String JSON = "application/json";

    static HttpResponse json(int status, String json) {
        return new HttpResponse(status, JSON, json.getBytes(StandardCharsets.UTF_8), "");
    }

    static HttpResponse json(String json) {
        return json(200, json);
    }

    static HttpResponse error(int status, String message) {
        return json(status, new Json().put("status", status).put("error", reason(status)).put("message", message).end());
    }

    HttpResponse withHeader(String name, String value) {
        return new HttpResponse(status, contentType, body, extraHeaders + name + ": " + value + "\r\n");
    }

    /** Status line, headers and (unless {@code head}) body, in one array: one write per response. */
    byte[] encode(boolean keepAlive, boolean http10, boolean head) {
        StringBuilder sb = new StringBuilder(96 + extraHeaders.length());
        sb.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
          .append("content-type: ").append(contentType).append("\r\n")
          .append("content-length: ").append(body.length).append("\r\n");
        if (!keepAlive) {
            sb.append("connection: close\r\n");
        } else if (http10) {
            sb.append("connection: keep-alive\r\n");
        }
        sb.append(extraHeaders).append("\r\n");
        int n = sb.length();
        int bodyLen = head ? 0 : body.length;
        byte[] out = new byte[n + bodyLen];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) sb.charAt(i);
        }
        System.arraycopy(body, 0, out, n, bodyLen);
        return out;
    }

    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 201 -> "Created";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }
}
