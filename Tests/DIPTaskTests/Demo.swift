import DIPEngine
import Foundation
import ImageCodec

/// The shared demo images (../shared/data/dip next to the repository) as engine tensors.
enum Demo {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)       // <repo>/Tests/DIPTaskTests/Demo.swift
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("../shared/data/dip").standardizedFileURL.path
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: directory + "/README.md") }

    static func decode(_ name: String) throws -> Image {
        try ImageCodec.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))))
    }

    static func image(_ name: String) throws -> Tensor {
        let i = try decode(name)
        return Tensor(interleaved: i.samples, width: i.width, height: i.height, channels: i.channels)
    }

    static func mask(_ name: String) throws -> Tensor {
        let i = try decode(name)
        return try Mask.fromImageSamples(i.samples, width: i.width, height: i.height, channels: i.channels)
    }
}

extension Tensor {
    /// The centred window of this size, or the one at (x, y).
    func window(_ w: Int, _ h: Int, x: Int? = nil, y: Int? = nil) -> Tensor {
        cropped(x: x ?? (width - w) / 2, y: y ?? (height - h) / 2, width: w, height: h)
    }
}
