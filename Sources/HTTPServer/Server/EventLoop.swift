import CEpoll
import Dispatch
import Glibc
import Synchronization

/// Socket readiness for all connections of a server, from one edge-triggered epoll
/// instance on its own thread. A Dispatch read source is re-armed through libdispatch's
/// manager thread after every event (an eventfd write and a wakeup per request); with
/// edge triggering nothing is re-armed, and an event costs one hop to the connection's queue.
final class EventLoop: Sendable {
    private let epfd: Int32
    private let wakeFDs: (read: Int32, write: Int32)
    private let connections = Mutex<[UInt64: Connection]>([:])
    private static let stopID: UInt64 = 0

    init() throws(SocketError) {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SocketError(operation: "epoll_create1", errno: errno) }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SocketError(operation: "pipe", errno: errno) }
        wakeFDs = (fds[0], fds[1])
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.stopID
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFDs.read, &event)
    }

    /// The loop blocks in epoll_wait for the server's lifetime, so it gets a thread of its
    /// own rather than one of Dispatch's few worker threads.
    func start() throws(SocketError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
            loop.loop()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            throw SocketError(operation: "pthread_create", errno: rc)
        }
        pthread_detach(thread)
    }

    /// Ends the loop thread and releases the epoll instance.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wakeFDs.write, &byte, 1)
    }

    /// Connection ids start at 1; 0 is the stop pipe.
    func register(_ connection: Connection) {
        connections.withLock { $0[connection.id] = connection }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = connection.id
        epoll_ctl(epfd, EPOLL_CTL_ADD, connection.fd, &event)
    }

    /// Before the fd is closed: events already taken find no connection, or a closed one.
    func unregister(_ connection: Connection) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, connection.fd, nil)
        _ = connections.withLock { $0.removeValue(forKey: connection.id) }
    }

    private func loop() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let n = epoll_wait(epfd, &events, Int32(events.count), -1)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            for i in 0..<Int(n) {
                let id = events[i].data.u64, flags = events[i].events
                if id == Self.stopID {
                    close(wakeFDs.read)
                    close(wakeFDs.write)
                    close(epfd)
                    return
                }
                guard let connection = connections.withLock({ $0[id] }) else { continue }
                connection.queue.async { connection.handleEvents(flags) }
            }
        }
    }
}
