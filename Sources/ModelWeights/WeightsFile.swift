import Foundation

/// Loads a weights file by its name: `.safetensors`, or an ncnn model given
/// as either half of its `.param` / `.bin` pair (the other half is the same
/// path with the other extension).
public enum WeightsFile {
    /// The largest file read (the safetensors limit on the header is separate).
    public static let maxFileBytes = 1 << 31

    public static func load(path: String) throws -> [NamedTensor] {
        let url = URL(fileURLWithPath: path)
        switch url.pathExtension.lowercased() {
        case "safetensors":
            return try SafeTensors.read(readBytes(path))
        case "param", "bin":
            let base = url.deletingPathExtension().path
            for (file, role) in [(base + ".param", "network description"), (base + ".bin", "weights")]
            where !FileManager.default.fileExists(atPath: file) {
                throw WeightsError("\(path): an ncnn model is a .param/.bin pair, and its \(role) file \(file) is missing")
            }
            return try NCNNModel.load(paramPath: base + ".param", binPath: base + ".bin").tensors
        default:
            throw WeightsError("\(path): unknown weights format (expected .safetensors, or an ncnn .param/.bin pair)")
        }
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw WeightsError("\(path): no such file") }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int else { throw WeightsError("\(path): cannot read the file") }
        guard size <= maxFileBytes else { throw WeightsError("\(path): \(size) bytes, over the limit of \(maxFileBytes)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw WeightsError("\(path): cannot read the file") }
        return [UInt8](data)
    }
}
