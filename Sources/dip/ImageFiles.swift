import DIPEngine
import Foundation
import ImageCodec

/// Reading and writing images for the CLI: files ↔ ImageCodec ↔ engine tensors.
/// Colour stays colour, gray stays one channel; an alpha channel is set aside
/// and put back on the result unchanged (the network never sees it).
struct LoadedImage {
    var tensor: Tensor          // 1 or 3 channels, CHW
    var alpha: [Float]?         // H×W, if the file had one
}

enum ImageFiles {
    static func load(_ path: String) throws -> LoadedImage {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the file") }
        let image: Image
        do {
            image = try ImageCodec.decode([UInt8](data))
        } catch {
            throw CLIError("\(path): \(error)")
        }
        var alpha: [Float]? = nil
        if image.hasAlpha {
            let c = image.channels
            alpha = stride(from: c - 1, to: image.samples.count, by: c).map { image.samples[$0] }
        }
        let base = image.converted(toChannels: image.channels >= 3 ? 3 : 1)
        return LoadedImage(tensor: Tensor(interleaved: base.samples, width: base.width, height: base.height, channels: base.channels),
                           alpha: alpha)
    }

    static func savePNG(_ t: Tensor, alpha: [Float]? = nil, to path: String) throws {
        var samples = t.interleaved()
        var channels = t.channels
        if let alpha, alpha.count == t.plane {
            var withAlpha = [Float](); withAlpha.reserveCapacity(t.plane * (channels + 1))
            for i in 0..<t.plane {
                withAlpha.append(contentsOf: samples[(i * channels)..<((i + 1) * channels)])
                withAlpha.append(alpha[i])
            }
            samples = withAlpha; channels += 1
        }
        let png = try ImageCodec.encodePNG(Image(width: t.width, height: t.height, channels: channels, samples: samples))
        let url = URL(fileURLWithPath: path)
        do {
            try Data(png).write(to: url, options: .atomic)
        } catch {
            throw CLIError("\(path): cannot write: \(error.localizedDescription)")
        }
    }
}

extension ImageFiles {
    /// A mask file (any gray or colour image the codecs read; white = known) as a 1×H×W 0/1 tensor.
    static func loadMask(_ path: String) throws -> Tensor {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the file") }
        do {
            let image = try ImageCodec.decode([UInt8](data))
            return try Mask.fromImageSamples(image.samples, width: image.width, height: image.height, channels: image.channels)
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }
}
