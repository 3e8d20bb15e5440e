import Foundation
import TestData

/// The Deep Image Prior demo pictures in Tests/Data/dip.
enum DemoData {
    static func path(_ name: String) -> String { TestData.demo(name).path }

    static func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    static func bytes(_ name: String) throws -> [UInt8] { try TestData.demoBytes(name) }
}

/// The codec's own small fixtures in Tests/Data/codec (how they were made: its README).
enum CodecFixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestData.root.appendingPathComponent("codec/\(name)")))
    }
}
