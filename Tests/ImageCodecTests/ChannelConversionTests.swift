import Testing
import ImageCodec

@Suite("Channel conversion")
struct ChannelConversionTests {
    static let rgb = Image(width: 2, height: 1, channels: 3, samples: [1, 0, 0, 0.2, 0.4, 0.6])
    static let rgba = Image(width: 2, height: 1, channels: 4, samples: [1, 0, 0, 0.5, 0.2, 0.4, 0.6, 0.25])
    static let gray = Image(width: 2, height: 1, channels: 1, samples: [0.25, 0.75])
    static let grayAlpha = Image(width: 2, height: 1, channels: 2, samples: [0.25, 0.5, 0.75, 1])

    @Test func hasAlphaFollowsChannels() {
        #expect(!Self.gray.hasAlpha && Self.grayAlpha.hasAlpha && !Self.rgb.hasAlpha && Self.rgba.hasAlpha)
    }

    @Test func sameChannelCountIsIdentity() {
        for image in [Self.gray, Self.grayAlpha, Self.rgb, Self.rgba] {
            #expect(image.converted(toChannels: image.channels) == image)
        }
    }

    @Test func grayReplicatesToColour() {
        #expect(Self.gray.converted(toChannels: 3).samples == [0.25, 0.25, 0.25, 0.75, 0.75, 0.75])
        #expect(Self.gray.converted(toChannels: 4).samples == [0.25, 0.25, 0.25, 1, 0.75, 0.75, 0.75, 1])
        #expect(Self.grayAlpha.converted(toChannels: 4).samples == [0.25, 0.25, 0.25, 0.5, 0.75, 0.75, 0.75, 1])
        #expect(Self.grayAlpha.converted(toChannels: 3).samples == [0.25, 0.25, 0.25, 0.75, 0.75, 0.75])
    }

    @Test func colourToGrayUsesRec601Luma() {
        let luma: Float = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6
        let g = Self.rgb.converted(toChannels: 1)
        #expect(g.channels == 1 && g.width == 2 && g.height == 1)
        #expect(g.samples == [0.299, luma])
        #expect(Self.rgba.converted(toChannels: 2).samples == [0.299, 0.5, luma, 0.25])
        #expect(Self.rgb.converted(toChannels: 2).samples == [0.299, 1, luma, 1])
        // White and black stay exactly white and black.
        let bw = Image(width: 2, height: 1, channels: 3, samples: [1, 1, 1, 0, 0, 0]).converted(toChannels: 1)
        #expect(abs(bw.samples[0] - 1) < 1e-6 && bw.samples[1] == 0)
    }

    @Test func alphaIsAddedOpaqueOrDropped() {
        #expect(Self.rgb.converted(toChannels: 4).samples == [1, 0, 0, 1, 0.2, 0.4, 0.6, 1])
        #expect(Self.rgba.converted(toChannels: 3).samples == [1, 0, 0, 0.2, 0.4, 0.6])
        #expect(Self.gray.converted(toChannels: 2).samples == [0.25, 1, 0.75, 1])
        #expect(Self.grayAlpha.converted(toChannels: 1).samples == [0.25, 0.75])
    }
}
