/// Thrown by `BodyWriter.write` when the client has gone or the server is closing the connection.
public struct ConnectionClosedError: Error, Sendable {}

/// Handed to a streaming response's producer. Each write is sent to the client (as one
/// chunk on HTTP/1.1); it returns once the bytes are queued below the connection's
/// high-water mark, so a slow client slows the producer instead of filling memory.
public final class BodyWriter: Sendable {
    private let connection: Connection

    init(connection: Connection) { self.connection = connection }

    public func write(_ bytes: [UInt8]) async throws {
        if bytes.isEmpty { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            connection.queue.async { self.connection.streamWrite(bytes, continuation) }
        }
    }

    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }
}
