import DIPEngine
import Foundation
import ImageCodec
import ImageTensors

/// Reading and writing images for the CLI: files ↔ ImageCodec ↔ engine tensors (through
/// ImageTensors, as the service does). Colour stays colour, gray stays one channel; an
/// alpha channel is set aside and put back on the result unchanged.
typealias LoadedImage = ImageTensor

enum ImageFiles {
    static func decode(_ path: String) throws -> Image {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the file") }
        do {
            return try ImageCodec.decode([UInt8](data))
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }

    static func load(_ path: String) throws -> LoadedImage { ImageTensor(try decode(path)) }

    /// A mask file (any gray or colour image the codecs read; white = known) as a 1×H×W 0/1 tensor.
    static func loadMask(_ path: String) throws -> Tensor {
        let image = try decode(path)
        do { return try ImageTensor.mask(image) } catch { throw CLIError("\(path): \(error)") }
    }

    static func savePNG(_ t: Tensor, alpha: [Float]? = nil, to path: String) throws {
        let png = try ImageTensor.encodePNG(t, alpha: alpha)
        do {
            try OutputFile.write(Data(png), to: path)
        } catch {
            throw CLIError("\(path): cannot write: \(error.localizedDescription)")
        }
    }
}
