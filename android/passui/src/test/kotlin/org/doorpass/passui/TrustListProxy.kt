// A loopback HTTP proxy in front of a real issuer that can make only the trust-list route fail: what
// a wallet meets when the list cannot be had but renewal still can (a cache or CDN in trouble).
package org.doorpass.passui

import com.sun.net.httpserver.HttpServer
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

/** Forwards every request to [issuerUrl]; while [failTrustList] is set, the trust list is garbage. */
class TrustListProxy(private val issuerUrl: String) : AutoCloseable {
    /** Answer the trust-list route with bytes that are no trust list. */
    @Volatile
    var failTrustList = false

    private val client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)

    /** The proxy's own URL, `http://127.0.0.1:PORT`. */
    val url: String get() = "http://127.0.0.1:${server.address.port}"

    init {
        server.createContext("/") { exchange ->
            exchange.use {
                val path = exchange.requestURI.rawPath + (exchange.requestURI.rawQuery?.let { "?$it" } ?: "")
                if (failTrustList && exchange.requestURI.rawPath == "/v1/trust-list") {
                    val garbage = "not a trust list".toByteArray()
                    exchange.sendResponseHeaders(200, garbage.size.toLong())
                    exchange.responseBody.write(garbage)
                    return@use
                }
                val body = exchange.requestBody.readAllBytes()
                val request = HttpRequest.newBuilder(URI.create(issuerUrl + path))
                    .timeout(Duration.ofSeconds(10))
                    .method(exchange.requestMethod, HttpRequest.BodyPublishers.ofByteArray(body))
                exchange.requestHeaders.forEach { (name, values) ->
                    if (name.lowercase() !in restricted) values.forEach { request.header(name, it) }
                }
                val answer = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                answer.headers().map().forEach { (name, values) ->
                    if (name.lowercase() !in restricted && name != ":status") exchange.responseHeaders[name] = values
                }
                val bytes = answer.body()
                exchange.sendResponseHeaders(answer.statusCode(), if (bytes.isEmpty()) -1 else bytes.size.toLong())
                if (bytes.isNotEmpty()) exchange.responseBody.write(bytes)
            }
        }
        server.start()
    }

    override fun close() = server.stop(0)

    private companion object {
        /** Headers the JDK's client or server set themselves. */
        val restricted = setOf("host", "content-length", "connection", "transfer-encoding", "expect", "upgrade", "keep-alive", "te", "date")
    }
}
