/// A growable float allocation: scratch space owned by a module or a workspace.
/// Newly allocated memory starts at zero; contents are otherwise whatever the
/// last user left.
final class Buffer {
    private(set) var pointer: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var capacity = 1

    func ensure(_ n: Int) {
        guard n > capacity else { return }
        pointer.deallocate()
        pointer = .allocate(capacity: n)
        capacity = n
        pointer.initialize(repeating: 0, count: n)
    }

    deinit { pointer.deallocate() }
}
