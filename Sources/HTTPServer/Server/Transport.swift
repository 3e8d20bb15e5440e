import Glibc

enum IOResult {
    case bytes(Int)
    /// Nothing can be done until the socket is readable again.
    case wantRead
    /// Nothing can be done until the socket is writable again.
    case wantWrite
    case eof
    case failed
}

/// The byte stream under a connection: the plain socket, or TLS on top of it.
protocol Transport: AnyObject {
    func receive(_ buffer: UnsafeMutableRawBufferPointer) -> IOResult
    func send(_ buffer: UnsafeRawBufferPointer) -> IOResult
    /// Half-closes the sending side (after a final response).
    func shutdownWrite()
    /// Input already taken from the socket but not yet returned (TLS records); the read
    /// source will not fire for it.
    var hasBufferedInput: Bool { get }
}

final class PlainTransport: Transport {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func receive(_ buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .eof }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wantRead : .failed
        }
    }

    func send(_ buffer: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .bytes(n) }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wantWrite : .failed
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
    var hasBufferedInput: Bool { false }
}
