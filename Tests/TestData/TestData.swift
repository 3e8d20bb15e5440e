import Foundation

/// The demo images and pretrained weights the tests read, kept in the repository under
/// `Tests/Data` (where each file came from, and its licence: `Tests/Data/NOTICE.md`).
public enum TestData {
    /// `<repository>/Tests/Data`, found from this file's own path so tests run from any folder.
    public static let root: URL = URL(fileURLWithPath: #filePath)   // <repo>/Tests/TestData/TestData.swift
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data")

    /// A demo image or mask of the Deep Image Prior repository, e.g. `denoising/F16_GT.png`.
    public static func demo(_ name: String) -> URL { root.appendingPathComponent("dip/\(name)") }

    /// The bytes of a demo file; a missing file is an error, never a skipped test.
    public static func demoBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: demo(name)))
    }

    /// SqueezeNet 1.1 (ncnn .param/.bin pair) and its class names, as a folder the way a
    /// user has them. The repository keeps the 2.5 MB .bin in two parts, so that no file is
    /// over 2 MiB; the first use joins them, once per process, into a temporary folder.
    public static let squeezeNetDirectory: URL = {
        let source = root.appendingPathComponent("weights/squeezenet1_1")
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("dipd-testdata-\(getpid())/squeezenet1_1")
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for name in ["squeezenet_v1.1.ncnn.param", "synset_words.txt"] {
                try? fm.removeItem(at: dir.appendingPathComponent(name))
                try fm.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
            }
            var bin = Data()
            for part in 0..<2 { bin += try Data(contentsOf: source.appendingPathComponent("squeezenet_v1.1.ncnn.bin.part\(part)")) }
            try bin.write(to: dir.appendingPathComponent("squeezenet_v1.1.ncnn.bin"), options: .atomic)
        } catch {
            fatalError("cannot assemble the SqueezeNet test weights from \(source.path): \(error)")
        }
        return dir
    }()
    public static var squeezeNetParam: URL { squeezeNetDirectory.appendingPathComponent("squeezenet_v1.1.ncnn.param") }
    public static var squeezeNetBin: URL { squeezeNetDirectory.appendingPathComponent("squeezenet_v1.1.ncnn.bin") }
    public static var synsetWords: URL { squeezeNetDirectory.appendingPathComponent("synset_words.txt") }
}
