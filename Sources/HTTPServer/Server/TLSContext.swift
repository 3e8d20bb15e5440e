import COpenSSL
import Glibc

/// A certificate or key that OpenSSL refused, with OpenSSL's reason.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public var description: String

    static func fromOpenSSL(_ what: String) -> TLSError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(description: "\(what): \(reasons.joined(separator: "; "))")
    }
}

/// The server-wide OpenSSL context: certificate chain, key, TLS 1.2 minimum.
/// SSL_CTX is safe to share between threads; each connection gets its own SSL.
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .fromOpenSSL("SSL_CTX_new") }
        context = ctx
        // SSL_CTX_set_min_proto_version and SSL_CTX_set_mode are macros over SSL_CTX_ctrl.
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        // The outbound buffer may move between a partial write and its retry.
        SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificatePath) == 1 else {
            throw .fromOpenSSL("certificate \(configuration.certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw .fromOpenSSL("private key \(configuration.privateKeyPath)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else { throw .fromOpenSSL("key does not match certificate") }
    }

    deinit { SSL_CTX_free(context) }
}

/// TLS over a non-blocking socket. The handshake happens inside the first reads and
/// writes; OpenSSL's WANT_READ/WANT_WRITE map onto the connection's Dispatch sources.
final class TLSTransport: Transport {
    private let ssl: OpaquePointer
    private let fd: Int32

    init?(context: TLSContext, fd: Int32) {
        guard let ssl = SSL_new(context.context) else { return nil }
        self.ssl = ssl
        self.fd = fd
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    var hasBufferedInput: Bool { SSL_pending(ssl) > 0 }

    func receive(_ buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? .bytes(Int(n)) : map(n)
    }

    func send(_ buffer: UnsafeRawBufferPointer) -> IOResult {
        ERR_clear_error()
        let n = SSL_write(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? .bytes(Int(n)) : map(n)
    }

    func shutdownWrite() {
        ERR_clear_error()
        SSL_shutdown(ssl)          // close_notify; best effort on a non-blocking socket
        shutdown(fd, Int32(SHUT_WR))
    }

    private func map(_ result: Int32) -> IOResult {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .eof
        case SSL_ERROR_SYSCALL where result == 0: return .eof
        default:
            ERR_clear_error()
            return .failed
        }
    }
}
