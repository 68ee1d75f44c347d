// A real HTTP forwarder on 127.0.0.1 in front of a test issuer, for the one failure no test issuer
// gives on its own: the trust list unavailable while enrolment and renewal work. It forwards each
// request to the issuer unchanged (one request per connection, `Connection: close`), except that
// while `failsTrustList` is set it answers `GET /v1/trust-list` with 503 itself.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class LoopbackForwarder: @unchecked Sendable {
    /// The forwarder's base URL (`http://127.0.0.1:PORT`).
    let url: String
    private let upstreamPort: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var failing = false
    private var trustListRequests = 0

    /// Starts forwarding to `upstream` (`http://127.0.0.1:PORT`).
    init(upstream: String) throws {
        guard let components = URLComponents(string: upstream), components.host == "127.0.0.1",
              let port = components.port else {
            throw ShellSetupError("the forwarder takes http://127.0.0.1:PORT, not \(upstream)")
        }
        upstreamPort = UInt16(port)
        // A peer that hangs up must not kill the test process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, LoopbackForwarder.stream, 0)
        guard fd >= 0 else { throw ShellSetupError("socket: \(errno)") }
        var address = LoopbackForwarder.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ShellSetupError("bind/listen on 127.0.0.1: \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        url = "http://127.0.0.1:\(UInt16(bigEndian: actual.sin_port))"
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Whether `GET /v1/trust-list` is answered 503 here instead of being forwarded.
    var failsTrustList: Bool {
        get { lock.lock(); defer { lock.unlock() }; return failing }
        set { lock.lock(); defer { lock.unlock() }; failing = newValue }
    }

    /// How many trust-list requests were answered 503.
    var refusedTrustListRequests: Int {
        lock.lock(); defer { lock.unlock() }
        return trustListRequests
    }

    /// Stops accepting connections.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        guard var request = LoopbackForwarder.readRequest(client) else { return }
        let head = String(decoding: request.prefix(64), as: UTF8.self)
        if head.hasPrefix("GET /v1/trust-list ") {
            let refuse: Bool = { lock.lock(); defer { lock.unlock() }; if failing { trustListRequests += 1 }; return failing }()
            if refuse {
                LoopbackForwarder.writeAll(client, Data("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".utf8))
                return
            }
        }
        request = LoopbackForwarder.withConnectionClose(request)
        let upstream = socket(AF_INET, LoopbackForwarder.stream, 0)
        guard upstream >= 0 else { return }
        defer { close(upstream) }
        var address = LoopbackForwarder.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return }
        LoopbackForwarder.writeAll(upstream, request)
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = read(upstream, &buffer, buffer.count)
            if count <= 0 { return }
            LoopbackForwarder.writeAll(client, Data(buffer[0..<count]))
        }
    }

    /// The request head and its body (by `Content-Length`), or `nil` if the peer closed early.
    private static func readRequest(_ socket: Int32) -> Data? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let separator = Data("\r\n\r\n".utf8)
        while data.range(of: separator) == nil {
            let count = read(socket, &buffer, buffer.count)
            if count <= 0 { return nil }
            data.append(contentsOf: buffer[0..<count])
            if data.count > 1_048_576 { return nil }
        }
        let headEnd = data.range(of: separator)!.upperBound
        let head = String(decoding: data[..<headEnd], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n")
            .first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        while data.count < headEnd + length {
            let count = read(socket, &buffer, buffer.count)
            if count <= 0 { return nil }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }

    /// `request` with its `Connection` header (if any) replaced by `Connection: close`.
    private static func withConnectionClose(_ request: Data) -> Data {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = request.range(of: separator) else { return request }
        let head = String(decoding: request[..<end.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n").filter { !$0.lowercased().hasPrefix("connection:") }
        var out = Data((lines + ["connection: close"]).joined(separator: "\r\n").utf8)
        out.append(request[end.lowerBound...])
        return out
    }

    private static func writeAll(_ socket: Int32, _ data: Data) {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = write(socket, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    #if canImport(Glibc)
    private static let stream = Int32(SOCK_STREAM.rawValue)
    #else
    private static let stream = SOCK_STREAM
    #endif
}
