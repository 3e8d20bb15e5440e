import Foundation

/// The demo images and pretrained weights the tests read, kept in the repository under
/// `Tests/Data` (where each file came from, and its licence: `Tests/Data/NOTICE.md`).
public enum TestData {
    /// `<repository>/Tests/Data`, found from this file's own path so tests run from any folder.
    public static let root: URL = URL(fileURLWithPath: #filePath)   // <repo>/Tests/TestData/TestData.swift
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data")

    /// A demo image or mask of the Deep Image Prior repository, e.g. `denoising/F16_GT.png`.
    public static func demo(_ name: String) -> URL { root.appendingPathComponent("dip/\(name)") }

    /// SqueezeNet 1.1 weights (ncnn) and its class names.
    public static let squeezeNetDirectory = root.appendingPathComponent("weights/squeezenet1_1")
    public static let squeezeNetParam = squeezeNetDirectory.appendingPathComponent("squeezenet_v1.1.ncnn.param")
    public static let squeezeNetBin = squeezeNetDirectory.appendingPathComponent("squeezenet_v1.1.ncnn.bin")
    public static let synsetWords = squeezeNetDirectory.appendingPathComponent("synset_words.txt")

    /// The bytes of a demo file; a missing file is an error, never a skipped test.
    public static func demoBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: demo(name)))
    }
}
