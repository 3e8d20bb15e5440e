import Foundation

/// The whole fitting curve, written by --report as JSON.
struct FitReport: Encodable {
    struct Point: Encodable {
        var iteration: Int
        var seconds: Double
        var loss: Float
        var psnr_input: Double            // raw output vs the degraded input
        var psnr_input_average: Double?   // averaged output vs the degraded input (where they compare)
        var psnr_ground_truth: Double?
        var psnr_ground_truth_average: Double?
        var restored_parameters: Bool
        var stop_signal: Double?          // what auto stop watches: the outputs' moving variance or the held-out error
    }
    struct Summary: Encodable {
        var iterations: Int
        var seconds: Double
        var iterations_per_second: Double
        var stop_reason: String
        var psnr_degraded_vs_ground_truth: Double?
        var final_psnr_ground_truth_average: Double?
        var best_psnr_ground_truth_average: Double?
        var best_psnr_iteration: Int?     // the oracle's pick: known only with the truth
        var best_iteration: Int?          // auto stop's pick: the iteration the result is from
        var evaluation: [String: Double]? = nil   // task-specific figures on the result
    }
    var command: String
    var input: String
    var width: Int
    var height: Int
    var channels: Int
    var settings: [String: String]
    var network_parameters: Int
    var points: [Point] = []
    var summary: Summary?

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            try OutputFile.write(encoder.encode(self), to: path)
        } catch {
            throw CLIError("\(path): cannot write the report: \(error.localizedDescription)")
        }
    }
}
