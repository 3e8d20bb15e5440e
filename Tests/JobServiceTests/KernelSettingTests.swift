import DIPEngine
import Foundation
import Testing

/// The `isa` setting: dipd runs the kernels it names, says which in /version, and refuses
/// to start with kernels this CPU cannot run.
@Suite("dipd kernels setting", .serialized)
struct KernelSettingTests {
    @Test func versionNamesTheKernelsAndTheSettingForcesThem() throws {
        let auto = try Dipd()
        let version = try curl(["\(auto.base)/version"]).json
        #expect(version["kernels"] as? String == InstructionSet.best.rawValue)
        #expect((version["cpu_features"] as? [String])?.contains("sse2") == true)
        #expect(auto.stop() == 0)

        let generic = try Dipd(environment: ["DIPD_ISA": "generic"])
        #expect(try curl(["\(generic.base)/version"]).json["kernels"] as? String == "generic")
        #expect(generic.logText.contains("generic kernels"))
        #expect(generic.stop() == 0)
    }

    @Test func kernelsThisCPUCannotRunStopTheStart() throws {
        let refused = InstructionSet.allCases.first { !$0.isSupported }.map(\.rawValue) ?? "avx9000"
        let f = try StartupErrorTests.failedStart(["--port", "0", "--data-dir", try temporaryDirectory("dipd-isa").path],
                                                  environment: ["DIPD_ISA": refused])
        StartupErrorTests.expectOneLine(f, status: 64, mentions: ["isa", refused])
    }
}
