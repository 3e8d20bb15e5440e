import COpenSSL
import Foundation
import Glibc

/// One outgoing TCP connection (TLS on it when asked), non-blocking, every operation bounded
/// by the request's deadline. Closed when released.
final class ClientSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private let fd: Int32
    private var ssl: OpaquePointer?
    private let deadline: ContinuousClock.Instant

    /// Connects to `address`, waiting until `connectDeadline` at most.
    init(to address: ResolvedAddress, connectDeadline: ContinuousClock.Instant, deadline: ContinuousClock.Instant) throws {
        let family = Int32(address.storage.ss_family)
        fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        self.deadline = deadline
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        if result != 0 {
            guard errno == EINPROGRESS else { close(fd); throw Failure("connect to \(address.address): \(String(cString: strerror(errno)))") }
            guard wait(for: Int16(POLLOUT), until: min(connectDeadline, deadline)) else {
                close(fd); throw Failure("connect to \(address.address): timed out")
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { close(fd); throw Failure("connect to \(address.address): \(String(cString: strerror(error)))") }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        close(fd)
    }

    /// Waits until the socket is ready for `events` or the time is up (false).
    private func wait(for events: Int16, until limit: ContinuousClock.Instant) -> Bool {
        while true {
            let left = ContinuousClock.now.duration(to: limit)
            guard left > .zero else { return false }
            let ms = Int32(min(Double(Int32.max), (left.seconds * 1000).rounded(.up)))
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, ms)
            if n > 0 { return true }
            if n < 0 && errno != EINTR { return false }
        }
    }

    /// TLS over the connection: SNI and the certificate's name checked against `host`, the
    /// chain against the system's trusted roots.
    func startTLS(_ context: TLSClientContext, host: String) throws {
        guard let s = SSL_new(context.context) else { throw Failure("TLS: \(TLSClientContext.lastError())") }
        ssl = s
        SSL_set_fd(s, fd)
        if IPAddress(host) != nil {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host)
        } else {
            // SSL_set_tlsext_host_name is a macro over SSL_ctrl.
            _ = host.withCString { SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            SSL_set1_host(s, host)
        }
        while true {
            ERR_clear_error()
            let r = SSL_connect(s)
            if r == 1 { return }
            switch SSL_get_error(s, r) {
            case SSL_ERROR_WANT_READ: guard wait(for: Int16(POLLIN), until: deadline) else { throw Failure("TLS handshake: timed out") }
            case SSL_ERROR_WANT_WRITE: guard wait(for: Int16(POLLOUT), until: deadline) else { throw Failure("TLS handshake: timed out") }
            default:
                let verify = SSL_get_verify_result(s)
                if verify != X509_V_OK {
                    throw Failure("TLS: certificate not accepted: \(String(cString: X509_verify_cert_error_string(verify)))")
                }
                throw Failure("TLS handshake failed: \(TLSClientContext.lastError())")
            }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n: Int = bytes.withUnsafeBytes { buffer in
                let start = buffer.baseAddress! + done, count = bytes.count - done
                if let ssl { return Int(SSL_write(ssl, start, Int32(min(count, Int(Int32.max))))) }
                return send(fd, start, count, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { done += n; continue }
            try waitAfter(n, writing: true)
        }
    }

    /// Up to `max` bytes; empty at the end of the stream.
    func read(max: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n: Int = buffer.withUnsafeMutableBytes { b in
                if let ssl { return Int(SSL_read(ssl, b.baseAddress, Int32(max))) }
                return recv(fd, b.baseAddress, max, 0)
            }
            if n > 0 { return Array(buffer[..<n]) }
            if n == 0 && ssl == nil { return [] }
            if let ssl, SSL_get_error(ssl, Int32(n)) == SSL_ERROR_ZERO_RETURN { return [] }
            try waitAfter(n, writing: false)
        }
    }

    /// After an operation that did nothing: waits for the socket when it would block, or throws.
    private func waitAfter(_ n: Int, writing: Bool) throws {
        var events: Int16
        if let ssl {
            switch SSL_get_error(ssl, Int32(n)) {
            case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            default: throw Failure("TLS: \(writing ? "sending" : "receiving") failed: \(TLSClientContext.lastError())")
            }
        } else {
            if errno == EINTR { return }
            guard errno == EAGAIN || errno == EWOULDBLOCK else {
                throw Failure("\(writing ? "send" : "receive"): \(String(cString: strerror(errno)))")
            }
            events = Int16(writing ? POLLOUT : POLLIN)
        }
        guard wait(for: events, until: deadline) else { throw Failure("timed out \(writing ? "sending the request" : "waiting for the response")") }
    }
}

/// The TLS settings of every webhook connection: TLS 1.2 or later, the peer's certificate
/// verified against the system's trusted roots. Made once, shared by all sends.
final class TLSClientContext: @unchecked Sendable {
    // Sound: an SSL_CTX may be used from several threads once it is set up.
    let context: OpaquePointer

    init() throws {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw ClientSocket.Failure("TLS: \(Self.lastError())") }
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
        guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
            SSL_CTX_free(ctx); throw ClientSocket.Failure("TLS: the system's trusted certificates cannot be read")
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        context = ctx
    }

    deinit { SSL_CTX_free(context) }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "connection closed" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(cString: buffer)
    }
}
