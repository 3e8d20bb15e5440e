import Foundation
import Testing
@testable import DIPEngine

/// config/dipd.json documents the defaults; it must say what the engine does.
@Test func configurationFileMatchesEngineDefaults() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/dipd.json")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let denoise = try #require(json["denoise"] as? [String: Any])
    let engine = try #require(json["engine"] as? [String: Any])
    let d = FitSettings()
    #expect(denoise["iterations"] as? Int == d.iterations)
    #expect((denoise["learning_rate"] as? Double).map(Float.init) == d.learningRate)
    #expect(abs((denoise["reg_noise_std"] as? Double ?? 0) - Double(d.regNoiseStd)) < 1e-6)
    #expect((denoise["exp_weight"] as? Double).map(Float.init) == d.expWeight)
    #expect(denoise["backtracking"] as? Bool == (d.backtracking != nil))
    #expect(engine["batch_norm_init"] as? String == d.batchNormInit.rawValue)
}
