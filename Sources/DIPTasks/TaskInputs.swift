import DIPEngine

/// The images a task is built on, as engine tensors. Which ones a task needs is the
/// catalogue's business; alpha and files stay with the caller.
public struct TaskInputs {
    /// The image to restore (flash: the no-flash photograph), 1 or 3 channels; nil for a task
    /// that takes none (activation).
    public var image: Tensor?
    /// 1×H×W, 1 = known pixel (inpaint, restore).
    public var mask: Tensor?
    /// The flash photograph (flash).
    public var guide: Tensor?

    public init(image: Tensor?, mask: Tensor? = nil, guide: Tensor? = nil) {
        self.image = image; self.mask = mask; self.guide = guide
    }

    /// No images: the inputs of a task that takes none (activation).
    public static var none: TaskInputs { TaskInputs(image: nil) }
}
