import Testing
@testable import DIPEngine

@Suite("Skip network")
struct SkipNetworkTests {
    @Test func parameterCountsMatchTheReference() throws {
        // Counts from the reference implementation (spec §2).
        #expect(try SkipNetwork(.denoising()).parameterCount == 2_217_831)
        let actMax = SkipConfiguration(inputChannels: 32, outputChannels: 3,
                                       channelsDown: [16, 32, 64, 128, 128, 128], channelsUp: [16, 32, 64, 128, 128, 128],
                                       channelsSkip: [0, 4, 4, 4, 4, 4], filterSizeDown: [5, 3, 5, 5, 3, 5],
                                       filterSizeUp: [5, 3, 5, 3, 5, 3], downsampleMode: [.avg])
        #expect(try SkipNetwork(actMax).parameterCount == 2_948_567)
        #expect(try SkipNetwork(.jpeg()).parameterCount == 572_827)
    }

    @Test func outputSizeAndCrop() throws {
        let net = try SkipNetwork(.denoising())
        #expect(try net.checkedOutputShape(height: 64, width: 96) == Shape(3, 64, 96))
        // barbara is reflect-padded to 514×514: the level-0 skip keeps the full size.
        #expect(try net.checkedOutputShape(height: 514, width: 514) == Shape(3, 514, 514))
        let noSkip = try SkipNetwork(SkipConfiguration(inputChannels: 2, outputChannels: 3, channelsDown: [4, 4],
                                                       channelsUp: [4, 4], channelsSkip: [0, 0]))
        #expect(throws: SkipNetwork.SizeError.self) { try noSkip.checkedOutputShape(height: 17, width: 16) }
    }

    @Test func invalidConfigurationsNameTheField() {
        var c = SkipConfiguration.denoising()
        c.channelsUp = [128, 128]
        #expect(throws: SkipConfiguration.Invalid.field("channels_up", "needs 5 entries, one per level")) { try c.validate() }
        c = .denoising(); c.filterSizeDown = [4]
        #expect(throws: SkipConfiguration.Invalid.self) { try c.validate() }
    }
}
