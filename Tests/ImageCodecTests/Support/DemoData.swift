import Foundation

/// The shared Deep Image Prior demo pictures, which live next to the repository checkout
/// (`../shared/data/dip` from the repository root). Tests using them are skipped when absent.
enum DemoData {
    static let directory: String = {
        // #filePath is <repo>/Tests/ImageCodecTests/Support/DemoData.swift.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("../shared/data/dip").standardizedFileURL.path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    static var available: Bool { FileManager.default.fileExists(atPath: directory) }
}
