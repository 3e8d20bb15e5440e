import Foundation
import Glibc

/// `dipd --healthcheck`: asks the running service on this machine for `/healthz`, at the
/// port the same settings give, so a container's health check follows `DIPD_PORT` and
/// needs no HTTP client installed. Exit status 0: healthy; 1: not.
enum HealthCheck {
    /// One GET over loopback, bounded by `timeout` seconds; true on `200`.
    static func run(host: String, port: Int, timeout: Int = 3) -> Bool {
        // A wildcard listener is reached on loopback; a named address is used as given.
        let target = ["0.0.0.0", "", "*"].contains(host) ? "127.0.0.1" : host == "::" ? "::1" : host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(target, String(port), &hints, &result) == 0, let info = result else { return false }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return false }
        let request = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var head = [UInt8](repeating: 0, count: 64)
        var got = 0
        while got < 12 {
            let n = head.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
            guard n > 0 else { return false }
            got += n
        }
        // "HTTP/1.1 200 "
        return String(decoding: head[9..<12], as: UTF8.self) == "200"
    }
}
