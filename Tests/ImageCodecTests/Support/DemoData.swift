import Foundation
import TestData

/// The Deep Image Prior demo pictures in Tests/Data/dip.
enum DemoData {
    static func path(_ name: String) -> String { TestData.demo(name).path }

    static func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    static func bytes(_ name: String) throws -> [UInt8] { try TestData.demoBytes(name) }
}
