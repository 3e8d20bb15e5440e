/// Bytes received but not yet consumed by a parser. Consumed bytes are dropped in
/// batches so that pipelined requests and trickled input never cost a copy per read.
public struct ByteBuffer: Sendable {
    public private(set) var storage: [UInt8] = []
    public var readIndex: Int = 0

    public init() {}
    public init(_ bytes: [UInt8]) { storage = bytes }

    public var readableCount: Int { storage.count - readIndex }
    public var isEmpty: Bool { readIndex == storage.count }

    public mutating func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 {
        compactIfWorthwhile()
        storage.append(contentsOf: bytes)
    }

    public mutating func append(_ pointer: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        storage.append(contentsOf: pointer.bindMemory(to: UInt8.self))
    }

    /// Removes and returns up to `count` readable bytes.
    public mutating func read(upTo count: Int) -> ArraySlice<UInt8> {
        let n = Swift.min(count, readableCount)
        let slice = storage[readIndex..<(readIndex + n)]
        readIndex += n
        return slice
    }

    public mutating func clear() {
        storage.removeAll(keepingCapacity: true)
        readIndex = 0
    }

    private mutating func compactIfWorthwhile() {
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= storage.count {
            storage.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
