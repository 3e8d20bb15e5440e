/// Memory shared by all layers of one network while it runs. Layers run one
/// at a time, so scratch space (a convolution's padded input, its band
/// buffers) is needed once per network rather than once per layer, and
/// gradient tensors are recycled as soon as the backward pass has consumed them.
/// After its first iterations a fit allocates nothing more.
public final class Workspace {
    private var scratch: [String: Buffer] = [:]
    private var free: [Storage] = []
    /// Gradient buffers allocated so far: constant once a network's pool has settled.
    private(set) var gradientAllocations = 0

    public init() {}

    /// A named scratch buffer of at least `count` floats, contents undefined.
    func buffer(_ name: String, _ count: Int) -> UnsafeMutablePointer<Float> {
        let b = scratch[name] ?? { let b = Buffer(); scratch[name] = b; return b }()
        b.ensure(count)
        return b.pointer
    }

    /// Storage for a named scratch tensor (contents undefined).
    func scratchStorage(_ name: String, _ count: Int) -> Storage {
        if let s = storages[name], s.capacity >= count { return s }
        let s = Storage(capacity: count)
        storages[name] = s
        return s
    }
    private var storages: [String: Storage] = [:]

    /// A gradient tensor from the pool (contents undefined). Give it back with `recycle`.
    func gradient(_ shape: Shape) -> Tensor {
        // Best fit: the smallest free storage that is large enough.
        var best: Int? = nil
        for (i, s) in free.enumerated() where s.capacity >= shape.count {
            if best == nil || s.capacity < free[best!].capacity { best = i }
        }
        if let i = best { return Tensor(shape, storage: free.remove(at: i)) }
        // None is large enough: the largest free one is dropped for the new one, so the pool
        // never holds more buffers than were in use at once (a 128-channel gradient is not
        // kept beside the 132-channel one that could have served in its place). Buffers only
        // grow so, and the pool settles within the first iterations.
        if let largest = free.indices.max(by: { free[$0].capacity < free[$1].capacity }) { free.remove(at: largest) }
        let s = Storage(capacity: shape.count)
        gradientAllocations += 1
        s.pooled = true
        return Tensor(shape, storage: s)
    }

    /// Gives a pooled gradient's storage back (ignored for views and other tensors).
    func recycle(_ t: Tensor) {
        guard !t.isView, t.storage.pooled else { return }
        if !free.contains(where: { $0 === t.storage }) { free.append(t.storage) }
    }
}
